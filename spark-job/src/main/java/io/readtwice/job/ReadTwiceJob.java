package io.readtwice.job;

import io.readtwice.answer.Answerer;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * {@code readtwice run}: validate options, model and output → read the rows and check the columns → answer →
 * write Parquet → summarize. Everything that can be wrong with the options, inputs, output or model fails before any executor work.
 */
public final class ReadTwiceJob {
    static final String ANSWER_STAGE = "answer_and_write";
    private static final String BAD_ROW = Answerer.BadRowException.class.getName() + ":";

    private ReadTwiceJob() {
    }

    /** Thrown when the job itself fails (a bad row with --on-error fail, a task failure). */
    public static final class JobFailedException extends RuntimeException {
        public JobFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The session for a run: settings from spark-submit (system properties) and --conf; without a master from
     * either, local[*]. BLAS runs one thread per task on executors (the tasks already use every core).
     */
    public static SparkSession session(Map<String, String> conf) {
        SparkConf submitted = new SparkConf();
        SparkSession.Builder builder = SparkSession.builder().appName("readtwice");
        boolean local = !submitted.contains("spark.master") && !conf.containsKey("spark.master");
        if (local) {
            builder.master("local[*]")
                    .config("spark.ui.showConsoleProgress", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1");
        }
        if (!submitted.contains("spark.executorEnv.OPENBLAS_NUM_THREADS")) {
            builder.config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
        }
        conf.forEach(builder::config);
        return builder.getOrCreate();
    }

    /**
     * Runs the job on {@code spark}; progress lines go to {@code console}. Checks come first, cheapest and most
     * likely wrong first: options, the model (loaded on the driver), the output folder, then the input's schema
     * against the column options, then the ids (duplicates, and with --resume the ids already committed). Only
     * then are rows answered.
     */
    public static RunSummary run(SparkSession spark, JobOptions o, PrintWriter console) {
        o.validated();
        Map<String, Double> seconds = new LinkedHashMap<>();
        ReadTwice.ModelCheck model = timed(seconds, "check_model", () -> ReadTwice.checkModel(spark, o.answer()));
        timed(seconds, "check_output", () -> {
            Outputs.checkWritable(spark, o);
            return null;
        });
        Dataset<Row> read = timed(seconds, "read", () -> Inputs.read(spark, o.inputs(), o.inputFormat()));
        // under --duplicate-ids error, the column that marks the row standing for a duplicated id (null until then)
        Dataset<Row> input = JobOptions.DUPLICATES_ERROR.equals(o.duplicateIds())
                ? read.withColumn(InputColumns.DUPLICATE_ROWS, lit(null).cast(DataTypes.IntegerType)) : read;
        ReadTwice.Plan plan = timed(seconds, "check_columns", () -> ReadTwice.plan(spark, input.schema(), model));
        String idCol = o.answer().idCol();
        IdCensus census = timed(seconds, "count", () -> IdCensus.of(input, idCol));
        if (census.duplicateIds() > 0 && JobOptions.DUPLICATES_FAIL.equals(o.duplicateIds())) {
            throw new ReadTwiceException(census.describeDuplicates(input, idCol, 5));
        }
        Outputs.Committed committed = timed(seconds, "check_committed",
                () -> Outputs.committed(spark, o, plan.outputSchema()));
        Dataset<Row> todo = census.duplicateIds() > 0 ? IdCensus.collapse(input, idCol) : input;
        if (committed.rows() > 0) {
            todo = remaining(spark, todo, o, committed);
        }
        Dataset<Row> work = todo;
        long expected = Math.max(0, census.rows() - census.duplicateRows() + census.duplicateIds() - committed.rows());
        timed(seconds, ANSWER_STAGE, () -> {
            Outputs.begin(spark, o);
            if (committed.rows() > 0 && work.isEmpty()) {
                return null; // a resume of a complete run: nothing left
            }
            boolean local = spark.sparkContext().isLocal();
            try (ConsoleProgress ignored = o.progress()
                    ? ConsoleProgress.start(console, expected, plan.counters(), local) : null) {
                write(plan.apply(work), o);
            }
            return null;
        });
        RunSummary summary = timed(seconds, "summarize",
                () -> RunSummary.compute(spark, o, census, committed, plan, seconds));
        try {
            Outputs.writeText(spark, o.output(), Outputs.SUMMARY, summary.toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the summary into " + o.output(), e);
        }
        return summary;
    }

    /**
     * The rows whose id is not committed yet. Rows without an id cannot be matched; they all go to one partition
     * (see {@link CostBalancer}), so they were committed together or not at all, and are skipped when any was.
     */
    private static Dataset<Row> remaining(SparkSession spark, Dataset<Row> todo, JobOptions o,
                                          Outputs.Committed committed) {
        String done = "__readtwice_done_id";
        Dataset<Row> ids = Outputs.committedIds(spark, o.output(), done);
        Dataset<Row> left = todo.join(ids, todo.col(IdCensus.quoted(o.answer().idCol())).cast(DataTypes.StringType)
                .equalTo(ids.col(done)), "left_anti");
        return committed.nullIdRows() > 0 ? left.filter(col(IdCensus.quoted(o.answer().idCol())).isNotNull()) : left;
    }

    private static void write(Dataset<Row> answers, JobOptions o) {
        try {
            Outputs.write(answers, o.output());
        } catch (Exception e) { // Spark's SparkException is checked in Java but thrown unchecked from Scala
            String badRow = null;
            for (Throwable c = e; c != null && badRow == null; c = c.getCause()) {
                if (c instanceof Answerer.BadRowException bad) {
                    badRow = bad.getMessage();
                } else if (c.getMessage() != null && c.getMessage().contains(BAD_ROW)) {
                    // on a cluster the task's exception arrives as text in the SparkException's message
                    String m = c.getMessage();
                    badRow = Inputs.firstLine(m.substring(m.indexOf(BAD_ROW) + BAD_ROW.length()).strip());
                }
            }
            if (badRow != null) {
                throw new JobFailedException("bad row, " + badRow + " (--on-error fail; use --on-error record to "
                        + "keep going and get status=error rows; --resume then answers only what is not committed)",
                        e);
            }
            throw new JobFailedException("the answer stage failed: " + Inputs.firstLine(e.getMessage())
                    + " (the rows already committed stay in " + o.output() + "; run again with --resume to answer "
                    + "the rest)", e);
        }
    }

    private static <T> T timed(Map<String, Double> seconds, String stage, Supplier<T> step) {
        long start = System.nanoTime();
        try {
            return step.get();
        } finally {
            seconds.put(stage, (System.nanoTime() - start) / 1e9);
        }
    }
}
