package io.readtwice.cli;

import io.readtwice.generate.GenerationOptions;
import io.readtwice.generate.JrtPadding;
import io.readtwice.job.AnswerOptions;
import io.readtwice.job.JobOptions;
import io.readtwice.job.ReadTwiceException;
import io.readtwice.job.ReadTwiceJob;
import io.readtwice.job.RunSummary;
import io.readtwice.model.BasedDecode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * {@code readtwice run}: answers every row of a table with a JRT-RNN or Based model on Spark and writes Parquet.
 * Locally (no master from spark-submit or --conf) it runs on local[*]; under spark-submit on the cluster.
 */
@Command(name = "run",
        description = "Answer every row of a table (Parquet, JSON Lines or CSV) with a JRT-RNN or Based model on "
                + "Spark; write the answers as Parquet plus _readtwice_summary.json.",
        sortOptions = false,
        usageHelpAutoWidth = true)
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--input", paramLabel = "PATH", required = true, split = ",",
            description = "Input files, folders or globs (local, hdfs://, s3a://); repeatable or comma-separated.")
    List<String> inputs;

    @Option(names = "--input-format", paramLabel = "FMT",
            description = "parquet, json (JSON Lines) or csv (with a header); default: from the file extensions.")
    String inputFormat;

    @Option(names = "--output", paramLabel = "DIR", required = true,
            description = "Output folder for the Parquet answers and _readtwice_summary.json.")
    String output;

    @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
    boolean overwrite;

    @Option(names = "--resume",
            description = "Continue an interrupted run: answer only the ids not yet in --output, with the same "
                    + "options, and add them to it.")
    boolean resume;

    @Option(names = "--duplicate-ids", paramLabel = "MODE", defaultValue = JobOptions.DUPLICATES_FAIL,
            description = "An id on more than one input row: fail (before any work, naming examples) or error "
                    + "(one status=error row for the id, none of its rows answered) (default: ${DEFAULT-VALUE}).")
    String duplicateIds;

    @Option(names = "--model", paramLabel = "DIR", required = true,
            description = "Checkpoint folder: local (present on every executor), or hdfs:// / s3a:// (copied once "
                    + "into each executor's cache).")
    String model;

    @Option(names = "--task", paramLabel = "TASK", defaultValue = "generic",
            description = "fda, swde, squad, triviaqa, drop, nq or generic (default: ${DEFAULT-VALUE}).")
    String task;

    @Option(names = "--strategy", paramLabel = "S", defaultValue = "default",
            description = "Prompt strategy: default, twice (JRT-Prompt) or repeat:N (default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--template", paramLabel = "TEXT", description = "A custom prompt template instead of the task's.")
    String template;

    @Option(names = "--cut", paramLabel = "MODE", defaultValue = "none",
            description = "Cut the context to fit: none, head, tail or around-answer (default: ${DEFAULT-VALUE}).")
    String cut;

    @Option(names = "--context-tokens", paramLabel = "N", defaultValue = "0",
            description = "Context budget in tokens for --cut (default: 0, no budget).")
    int contextTokens;

    @Option(names = "--max-length", paramLabel = "N", defaultValue = "" + AnswerOptions.DEFAULT_MAX_LENGTH,
            description = "Most prompt plus generated tokens per row: prompts are left-truncated to this minus "
                    + "--max-new-tokens; longer pre-tokenized prompts fail (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--id-col", paramLabel = "COL", defaultValue = "id",
            description = "Unique row id column (default: ${DEFAULT-VALUE}).")
    String idCol;

    @Option(names = "--context-col", paramLabel = "COL", defaultValue = "context",
            description = "Document column (default: ${DEFAULT-VALUE}).")
    String contextCol;

    @Option(names = "--question-col", paramLabel = "COL", defaultValue = "question",
            description = "Question column (default: ${DEFAULT-VALUE}).")
    String questionCol;

    @Option(names = "--answers-col", paramLabel = "COL",
            description = "Gold answers (array of strings or a string) for contains/exact_match/f1 (default: "
                    + "'answers' when the input has it).")
    String answersCol;

    @Option(names = "--prompt-col", paramLabel = "COL",
            description = "Ready prompt text, used instead of a task prompt.")
    String promptCol;

    @Option(names = "--prompt-ids-col", paramLabel = "COL",
            description = "Pre-tokenized prompt (array of ints, or \"1,2,3\"), used as is.")
    String promptIdsCol;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "" + GenerationOptions.PAPER_MAX_NEW_TOKENS,
            description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--stop", paramLabel = "STR",
            description = "Stop sequence; repeatable; \\n, \\t, \\r, \\\\ are interpreted; 'none' disables "
                    + "(default: \\n).")
    List<String> stops;

    @Option(names = "--logprobs", paramLabel = "K", defaultValue = "0",
            description = "Add token_logprobs and the K most likely tokens per step (top_logprobs) (default: 0).")
    int logprobs;

    @Option(names = "--jrt-padding", paramLabel = "MODE",
            description = "JRT-RNN prompts shorter than the encoder length: left (reference harness) or none "
                    + "(default: left).")
    JrtPadding jrtPadding;

    @Option(names = "--based-decode", paramLabel = "MODE", defaultValue = "consistent",
            description = "Based decode: consistent or reference (default: ${DEFAULT-VALUE}).")
    BasedDecode basedDecode;

    @Option(names = "--backend", paramLabel = "B", defaultValue = "cpu",
            description = "cpu, gpu (our CUDA kernels; not yet verified on a GPU, see docs/gpu-backend.md) or auto "
                    + "(gpu where one is found, else cpu) (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--weights", paramLabel = "TYPE", defaultValue = "fp32",
            description = "Weight storage on the executors: fp32, bf16 or fp16 (half the memory; exact for "
                    + "checkpoints stored in that format) (default: ${DEFAULT-VALUE}).")
    String weights;

    @Option(names = "--batch-tokens", paramLabel = "N", defaultValue = "" + AnswerOptions.DEFAULT_BATCH_TOKENS,
            description = "Token budget of one micro-batch, prompt plus generated tokens (default: ${DEFAULT-VALUE}).")
    int batchTokens;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "0",
            description = "Partitions to spread rows over by estimated cost (default: Spark's default parallelism).")
    int partitions;

    @Option(names = "--on-error", paramLabel = "MODE", defaultValue = "record",
            description = "record: bad rows become status=error rows; fail: the first bad row fails the job "
                    + "(default: ${DEFAULT-VALUE}).")
    String onError;

    @Option(names = "--conf", paramLabel = "KEY=VALUE",
            description = "Spark setting, e.g. spark.master=local[2] or spark.hadoop.fs.s3a.endpoint=…; repeatable.")
    Map<String, String> conf = new LinkedHashMap<>();

    @Option(names = "--properties", paramLabel = "FILE",
            description = "Spark settings from a properties file (e.g. conf/local.properties); --conf wins.")
    Path properties;

    @Option(names = "--quiet", description = "No progress lines while answering.")
    boolean quiet;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        JobOptions options;
        try {
            options = jobOptions().validated();
        } catch (ReadTwiceException e) {
            return fail(err, e.getMessage(), 2);
        }
        return execute(options, out, err);
    }

    /** Runs a validated job in its own session and prints the summary; shared with {@code demo}. */
    static int execute(JobOptions options, PrintWriter out, PrintWriter err) {
        SparkSession spark = ReadTwiceJob.session(options.conf());
        try {
            RunSummary summary = ReadTwiceJob.run(spark, options, err);
            out.println("readtwice: summary (also in " + options.output() + "/_readtwice_summary.json)");
            out.print(summary.toTable());
            out.flush();
            return 0;
        } catch (ReadTwiceException e) {
            return fail(err, e.getMessage(), 2);
        } catch (ReadTwiceJob.JobFailedException e) {
            return fail(err, e.getMessage(), 1);
        } finally {
            spark.stop();
        }
    }

    private static int fail(PrintWriter err, String message, int code) {
        err.println("readtwice run: " + message);
        err.flush();
        return code;
    }

    JobOptions jobOptions() {
        AnswerOptions answer = AnswerOptions.builder()
                .model(model).backend(backend).task(task).strategy(strategy).template(template).cut(cut)
                .contextTokens(contextTokens).maxLength(maxLength).idCol(idCol).contextCol(contextCol)
                .questionCol(questionCol).answersCol(answersCol).promptCol(promptCol).promptIdsCol(promptIdsCol)
                .maxNewTokens(maxNewTokens).stops(stopSequences()).logprobs(logprobs).jrtPadding(jrtPadding)
                .basedDecode(basedDecode).batchTokens(batchTokens).partitions(partitions).onError(onError)
                .weights(weights).build();
        return new JobOptions(inputs, inputFormat, output, overwrite, sparkConf(properties, conf), answer, !quiet,
                resume, duplicateIds == null ? null : duplicateIds.toLowerCase(java.util.Locale.ROOT));
    }

    /** Settings from the properties file, then --conf on top. */
    static Map<String, String> sparkConf(Path file, Map<String, String> conf) {
        Map<String, String> merged = new LinkedHashMap<>();
        if (file != null) {
            Properties p = new Properties();
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(in);
            } catch (IOException e) {
                throw new ReadTwiceException("--properties " + file + ": cannot read it (" + e.getMessage() + ")");
            }
            for (String key : p.stringPropertyNames()) {
                merged.put(key, p.getProperty(key).strip());
            }
        }
        merged.putAll(conf);
        return merged;
    }

    private List<String> stopSequences() {
        try {
            return StopSequences.parse(stops);
        } catch (IllegalArgumentException e) {
            throw new ReadTwiceException(e.getMessage());
        }
    }
}
