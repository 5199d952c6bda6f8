package io.readtwice.job;

import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

import java.io.Serializable;
import java.util.List;

/**
 * The job's counters as named Spark accumulators, so they show in the Spark UI (stage pages) while the job runs.
 * Updates from retried tasks may count twice; the summary takes its row and token numbers from the output
 * instead, and uses these for rates and model loads.
 */
public final class JobCounters implements Serializable {
    final LongAccumulator rows;
    final LongAccumulator failedRows;
    final LongAccumulator promptTokens;
    final LongAccumulator generatedTokens;
    final LongAccumulator generateMillis;
    /** One entry per model load on an executor: "executor=ID host=H pid=P seconds=S". */
    final CollectionAccumulator<String> modelLoads;

    JobCounters(SparkContext sc) {
        rows = sc.longAccumulator("readtwice.rows");
        failedRows = sc.longAccumulator("readtwice.rows_failed");
        promptTokens = sc.longAccumulator("readtwice.prompt_tokens");
        generatedTokens = sc.longAccumulator("readtwice.generated_tokens");
        generateMillis = sc.longAccumulator("readtwice.generate_ms");
        modelLoads = sc.collectionAccumulator("readtwice.model_loads");
    }

    public long rows() {
        return rows.value();
    }

    public long generateMillis() {
        return generateMillis.value();
    }

    public List<String> modelLoads() {
        return List.copyOf(modelLoads.value());
    }
}
