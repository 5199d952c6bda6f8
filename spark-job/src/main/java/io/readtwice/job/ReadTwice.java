package io.readtwice.job;

import io.readtwice.answer.AnswerSettings;
import io.readtwice.answer.ModelHolder;
import io.readtwice.kernels.gpu.GpuProbe;
import io.readtwice.checkpoint.CheckpointException;
import io.readtwice.model.ModelConfig;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The library entry point: answers every row of a table with a JRT-RNN or Based model.
 *
 * <pre>{@code
 * AnswerOptions options = AnswerOptions.builder().model("s3a://models/JRT-360M-30B").task("squad")
 *         .strategy("twice").build();
 * Dataset<Row> answers = ReadTwice.answer(spark, spark.read().parquet("s3a://corpus/questions"), options);
 * answers.write().parquet("s3a://corpus/answers");
 * }</pre>
 *
 * Options, columns and the model are checked on the driver when {@code answer} is called, before any executor
 * work; problems throw {@link ReadTwiceException} with what to fix. The returned Dataset is lazy: each executor
 * loads the model once (per JVM, shared by its task threads) when the first task needs it.
 */
public final class ReadTwice {
    private ReadTwice() {
    }

    /** One output row per input row; the schema is {@link #outputSchema}. */
    public static Dataset<Row> answer(SparkSession spark, Dataset<Row> input, AnswerOptions options) {
        return plan(spark, input.schema(), options).apply(input);
    }

    /** The output schema for an input schema, checking options and columns but not the model. */
    public static StructType outputSchema(StructType input, AnswerOptions options) {
        options.validated();
        InputColumns columns = InputColumns.resolve(input, options, RowCodec.answerColumnNames());
        return RowCodec.outputSchema(columns, options.logprobs() > 0);
    }

    /**
     * A checked run: options, columns and model validated, counters registered; {@link #apply} builds the lazy
     * answer Dataset.
     *
     * @param driverLoad the model load on the driver for the check, e.g. "driver seconds=0.42" (empty if cached)
     */
    public record Plan(SparkSession spark, AnswerOptions options, InputColumns columns, ModelSource model,
                       ModelConfig config, JobCounters counters, String driverLoad) {

        public StructType outputSchema() {
            return RowCodec.outputSchema(columns, options.logprobs() > 0);
        }

        public Dataset<Row> apply(Dataset<Row> input) {
            int partitions = options.partitions() > 0 ? options.partitions()
                    : spark.sparkContext().defaultParallelism();
            Dataset<Row> spread = CostBalancer.spread(spark, input, columns, options, partitions);
            AnswerSettings settings = new AnswerSettings(options.resolvedBackend(), options.promptBuilder(),
                    options.stops(), options.logprobs(), options.jrtPadding(), options.basedDecode(),
                    options.batchTokens(), "fail".equals(options.onError()), options.weightPrecision());
            RowCodec codec = new RowCodec(columns, options.model(), options.task(), options.strategyLabel(),
                    options.resolvedBackend(), options.logprobs() > 0);
            return spread.mapPartitions(new AnswerPartitions(model, settings, codec, counters),
                    Encoders.row(outputSchema()));
        }
    }

    /** Validates everything on the driver; the model is loaded here once to check its config and tensors. */
    public static Plan plan(SparkSession spark, StructType input, AnswerOptions options) {
        return plan(spark, input, checkModel(spark, options));
    }

    /** A plan for a model already checked by {@link #checkModel}. */
    public static Plan plan(SparkSession spark, StructType input, ModelCheck model) {
        AnswerOptions options = model.options().validated();
        InputColumns columns = InputColumns.resolve(input, options, RowCodec.answerColumnNames());
        JobCounters counters = new JobCounters(spark.sparkContext());
        return new Plan(spark, options, columns, model.source(), model.config(), counters, model.driverLoad());
    }

    /**
     * The options and model checked on the driver, before any input is read.
     *
     * @param driverLoad the driver's load for the check, e.g. "driver seconds=0.42" (empty when it was cached)
     */
    public record ModelCheck(AnswerOptions options, ModelSource source, ModelConfig config, String driverLoad) {
    }

    /**
     * Checks the options and loads the model on the driver (through the per-JVM holder, so a local run's
     * executor reuses it): a missing folder, a bad config.json or a missing or misshaped tensor fails here.
     */
    public static ModelCheck checkModel(SparkSession spark, AnswerOptions options) {
        options.validated();
        // On a local master the executors are this JVM: a missing GPU is known now, not after four task failures.
        if (ModelHolder.GPU.equals(options.backend()) && spark.sparkContext().isLocal()
                && !GpuProbe.available()) {
            throw new ReadTwiceException("--backend gpu: " + GpuProbe.description()
                    + "; use --backend cpu, or auto to fall back to the CPU");
        }
        ModelSource model = ModelSource.of(options.model(), spark.sparkContext().hadoopConfiguration());
        Path dir;
        try {
            dir = model.localDir();
        } catch (UncheckedIOException e) {
            throw new ReadTwiceException("--model " + options.model() + ": " + e.getCause().getMessage()
                    + "; point --model at a checkpoint folder (config.json + model.safetensors or pytorch_model.bin)",
                    e);
        }
        if (!Files.isDirectory(dir)) {
            throw new ReadTwiceException("--model: no such folder: " + dir
                    + " (a local --model must exist on the driver and on every executor; use hdfs:// or s3a:// "
                    + "to have executors copy it)");
        }
        ModelHolder.Acquired acquired;
        try {
            // the driver only checks the checkpoint and reads its config: the CPU will do, GPU or not
            acquired = ModelHolder.acquire(dir, ModelHolder.CPU, 1, options.weightPrecision());
        } catch (CheckpointException e) {
            throw new ReadTwiceException("bad model " + options.model() + ": " + e.getMessage(), e);
        }
        String driverLoad = acquired.loadedNow()
                ? String.format(java.util.Locale.ROOT, "driver seconds=%.3f", acquired.loadSeconds()) : "";
        return new ModelCheck(options, model, acquired.model().config(), driverLoad);
    }

    /** Output column names that a run with these options writes, besides the pass-through columns. */
    public static List<String> answerColumns() {
        return RowCodec.answerColumnNames();
    }
}
