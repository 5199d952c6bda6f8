package io.readtwice.cli;

import io.readtwice.demo.DemoModel;
import io.readtwice.job.AnswerOptions;
import io.readtwice.job.JobOptions;
import io.readtwice.job.ReadTwiceException;
import io.readtwice.job.ReadTwiceJob;
import io.readtwice.job.RunSummary;
import io.readtwice.kernels.WeightPrecision;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import static org.apache.spark.sql.functions.col;

/**
 * {@code readtwice demo}: the whole job on local Spark with a bundled question sample and a bundled tiny model
 * trained on synthetic recall (notebooks/training), then an answers table and the summary with its accuracy.
 */
@Command(name = "demo",
        description = "Run the Spark job locally on a bundled sample with a bundled tiny model trained on synthetic "
                + "recall documents, and print the answers and the summary.",
        sortOptions = false,
        usageHelpAutoWidth = true)
final class DemoCommand implements Callable<Integer> {
    private static final int SHOWN = 20;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--output", paramLabel = "DIR",
            description = "Where to write the answers (default: a new temporary folder).")
    Path output;

    @Option(names = "--sample", paramLabel = "S", defaultValue = "recall",
            description = "recall: synthetic one-record documents the models were trained for (held-out names); "
                    + "squad: SQuAD 2.0 dev questions, real text far beyond these tiny models "
                    + "(default: ${DEFAULT-VALUE}).")
    String sample;

    @Option(names = "--rows", paramLabel = "N",
            description = "Questions from the sample to answer (default: all; recall has 300, squad 40).")
    Integer rows;

    @Option(names = "--strategy", paramLabel = "S", defaultValue = "default",
            description = "Prompt strategy: default, twice or repeat:N (default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "8",
            description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--weights", paramLabel = "TYPE", defaultValue = "fp32",
            description = "Weight storage: fp32, bf16 or fp16 (default: ${DEFAULT-VALUE}).")
    String weights;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "Spark setting; repeatable.")
    Map<String, String> conf = new java.util.LinkedHashMap<>();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        DemoModel.Sample questions;
        try {
            questions = DemoModel.Sample.parse(sample);
        } catch (IllegalArgumentException e) {
            err.println("readtwice demo: " + e.getMessage());
            err.flush();
            return 2;
        }
        int available = DemoModel.size(questions);
        int n = rows == null ? available : rows;
        if (n < 1 || n > available) {
            err.println("readtwice demo: --rows must be 1.." + available + " for --sample " + sample + ", got " + n);
            err.flush();
            return 2;
        }
        try {
            WeightPrecision.parse(weights);
        } catch (IllegalArgumentException e) {
            err.println("readtwice demo: --weights: " + e.getMessage());
            err.flush();
            return 2;
        }
        Path work = Files.createTempDirectory("readtwice-demo-");
        Path input = DemoModel.sample(questions, work.resolve("questions.jsonl"), n);
        Path answers = output != null ? output : work.resolve("answers");
        Path modelDir = DemoModel.extract(work.resolve("model"));
        out.println("readtwice demo: " + DemoModel.DESCRIPTION);
        out.println("  model: " + modelDir);
        out.println("  input: " + n + (questions == DemoModel.Sample.RECALL
                ? " synthetic one-record documents (notebooks/training/synth_recall.py, evaluation split)"
                : " SQuAD 2.0 dev questions (CC BY-SA 4.0, Rajpurkar, Jia & Liang); expect few right answers "
                        + "from a 7.5M-parameter model trained only on synthetic records"));
        out.flush();

        AnswerOptions answer = AnswerOptions.builder().model(modelDir.toString()).task(questions.task())
                .strategy(strategy).maxNewTokens(maxNewTokens).weights(weights).build();
        JobOptions options;
        try {
            options = new JobOptions(List.of(input.toString()), "json", answers.toString(), true, conf, answer,
                    true).validated();
        } catch (ReadTwiceException e) {
            err.println("readtwice demo: " + e.getMessage());
            err.flush();
            return 2;
        }
        SparkSession spark = ReadTwiceJob.session(options.conf());
        try {
            RunSummary summary = ReadTwiceJob.run(spark, options, err);
            List<Row> table = spark.read().parquet(answers.toString())
                    .select(col("id"), col("question"), col("answer"), col("answers"), col("contains"),
                            col("status"), col("error"))
                    .orderBy(col("id")).limit(SHOWN).collectAsList();
            out.println();
            out.println(String.format(Locale.ROOT, "%-26s %-44s %-28s %-24s %s", "id", "question", "answer",
                    "gold", "contains"));
            for (Row r : table) {
                String answerText = "ok".equals(r.getString(5)) ? r.getString(2) : "[error] " + r.getString(6);
                List<Object> gold = r.isNullAt(3) ? List.of() : r.getList(3);
                out.println(String.format(Locale.ROOT, "%-26s %-44s %-28s %-24s %s", r.getString(0),
                        clip(r.getString(1), 44), clip(answerText, 28),
                        clip(gold.isEmpty() ? "(unanswerable)" : gold.get(0).toString(), 24),
                        r.isNullAt(4) ? "-" : String.format(Locale.ROOT, "%.0f", r.getDouble(4))));
            }
            if (n > SHOWN) {
                out.println("… " + (n - SHOWN) + " more rows in " + answers);
            }
            out.println();
            out.println("readtwice demo: summary (also in " + answers + "/_readtwice_summary.json)");
            out.print(summary.toTable());
            out.flush();
            return 0;
        } catch (ReadTwiceException e) {
            err.println("readtwice demo: " + e.getMessage());
            err.flush();
            return 2;
        } catch (ReadTwiceJob.JobFailedException e) {
            err.println("readtwice demo: " + e.getMessage());
            err.flush();
            return 1;
        } finally {
            spark.stop();
        }
    }

    private static String clip(String s, int width) {
        if (s == null) {
            return "";
        }
        String one = s.strip().replaceAll("\\s+", " ");
        return one.length() <= width ? one : one.substring(0, width - 1) + "…";
    }
}
