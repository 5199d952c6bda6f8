package io.readtwice.job;

import io.readtwice.generate.GenerationOptions;
import io.readtwice.generate.JrtPadding;
import io.readtwice.model.BasedDecode;
import io.readtwice.prompt.ContextCut;
import io.readtwice.prompt.PromptBuilder;
import io.readtwice.prompt.PromptOptions;
import io.readtwice.prompt.PromptStrategy;
import io.readtwice.prompt.Task;

import io.readtwice.kernels.WeightPrecision;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What {@link ReadTwice#answer} does with a table of rows: the model, the prompt, generation, the column mapping
 * and execution settings. Build one with {@link #builder()}; every setting has the CLI's default.
 *
 * @param model         checkpoint folder: a local path (present on every executor) or an {@code hdfs://} /
 *                      {@code s3a://} folder, copied once into each executor's cache
 * @param backend       {@code auto}, {@code cpu} or {@code gpu} (auto: the GPU where an executor has one, else the CPU)
 * @param task          fda, swde, squad, triviaqa, drop, nq or generic
 * @param strategy      default, twice or repeat:N
 * @param template      a custom prompt template, or null for the task's
 * @param cut           none, head, tail or around-answer
 * @param contextTokens context budget for the cut in tokens (0: none)
 * @param maxLength     the most prompt plus generated tokens per row
 * @param idCol         column with a unique row id
 * @param contextCol    document column
 * @param questionCol   question column
 * @param answersCol    gold answers (array of strings, or one string); null: "answers" when present, else none
 * @param promptCol     ready prompt text, used instead of context and question; or null
 * @param promptIdsCol  pre-tokenized prompt (array of ints, or "1,2,3"); or null
 * @param maxNewTokens  tokens to generate at most
 * @param stops         stop sequences (empty: none)
 * @param logprobs      top log-probabilities per step in the output (0: no log-prob columns)
 * @param jrtPadding    JRT-RNN padding, or null for the model's default (left)
 * @param basedDecode   Based decode flavour
 * @param batchTokens   token budget of one micro-batch
 * @param partitions    partitions to spread the rows over by estimated cost (0: Spark's default parallelism)
 * @param onError       record (bad rows become status=error rows) or fail (the first bad row fails the job)
 * @param weights       weight storage on the executors: fp32, bf16 or fp16 (widened to float32 to compute)
 */
public record AnswerOptions(String model, String backend, String task, String strategy, String template, String cut,
                            int contextTokens, int maxLength, String idCol, String contextCol, String questionCol,
                            String answersCol, String promptCol, String promptIdsCol, int maxNewTokens,
                            List<String> stops, int logprobs, JrtPadding jrtPadding, BasedDecode basedDecode,
                            int batchTokens, int partitions, String onError, String weights)
        implements Serializable {

    public static final int DEFAULT_MAX_LENGTH = 2048;
    public static final int DEFAULT_BATCH_TOKENS = 4096;

    public AnswerOptions {
        stops = List.copyOf(stops);
    }

    /** Throws {@link ReadTwiceException} naming the option and what to do, for every bad setting. */
    public AnswerOptions validated() {
        require(model != null && !model.isBlank(), "--model is required (a checkpoint folder)");
        require(Set.of("auto", "cpu", "gpu").contains(backend), "--backend must be auto, cpu or gpu, got " + backend);
        require(maxNewTokens >= 1, "--max-new-tokens must be at least 1, got " + maxNewTokens);
        require(maxLength > maxNewTokens, "--max-length (" + maxLength + ") must exceed --max-new-tokens ("
                + maxNewTokens + ")");
        promptBuilder();
        require(logprobs >= 0, "--logprobs must be 0 or more, got " + logprobs);
        require(batchTokens >= 1, "--batch-tokens must be at least 1, got " + batchTokens);
        require(partitions >= 0, "--partitions must be 0 (automatic) or more, got " + partitions);
        require("record".equals(onError) || "fail".equals(onError),
                "--on-error must be record or fail, got " + onError);
        weightPrecision();
        require(promptCol == null || promptIdsCol == null, "--prompt-col and --prompt-ids-col exclude each other");
        for (String s : stops) {
            require(!s.isEmpty(), "--stop must not be empty");
        }
        return this;
    }

    /** How often the prompt strategy reads the context: default 1, twice 2, repeat:N N. */
    public int readings() {
        return promptOptions().strategy().readings();
    }

    /** The prompt settings; a bad task, strategy, cut, budget or template throws naming the option. */
    public PromptOptions promptOptions() {
        Task t;
        PromptStrategy s;
        ContextCut c;
        try {
            t = Task.parse(task);
        } catch (IllegalArgumentException e) {
            throw new ReadTwiceException("--task: " + e.getMessage());
        }
        try {
            s = PromptStrategy.parse(strategy);
        } catch (IllegalArgumentException e) {
            throw new ReadTwiceException("--strategy: " + e.getMessage());
        }
        try {
            c = ContextCut.parse(cut);
        } catch (IllegalArgumentException e) {
            throw new ReadTwiceException("--cut: " + e.getMessage());
        }
        try {
            return new PromptOptions(t, s, template, c, contextTokens, maxLength, maxNewTokens);
        } catch (IllegalArgumentException e) {
            throw new ReadTwiceException("bad prompt options (--task, --strategy, --template, --cut, "
                    + "--context-tokens, --max-length): " + e.getMessage());
        }
    }

    /** The prompt builder for these options (checks the template's syntax). */
    public PromptBuilder promptBuilder() {
        PromptOptions options = promptOptions();
        try {
            return PromptBuilder.create(options);
        } catch (IllegalArgumentException e) {
            throw new ReadTwiceException("--template: " + e.getMessage());
        }
    }

    /** How the executors store the weights; a bad --weights throws naming the option. */
    public WeightPrecision weightPrecision() {
        try {
            return WeightPrecision.parse(weights);
        } catch (IllegalArgumentException e) {
            throw new ReadTwiceException("--weights: " + e.getMessage());
        }
    }

    /**
     * The backend asked for. Executors resolve {@code auto} each for itself (GPU where the probe finds one); what
     * each one ran is in the model-load records of the run summary.
     */
    public String resolvedBackend() {
        return backend;
    }

    /** Rows carry a ready prompt (text or ids) instead of fields for a task prompt. */
    public boolean givenPrompts() {
        return promptCol != null || promptIdsCol != null;
    }

    /** The value of the output column prompt_strategy. */
    public String strategyLabel() {
        return givenPrompts() ? "given" : promptOptions().strategy().label();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new ReadTwiceException(message);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.model = model;
        b.backend = backend;
        b.task = task;
        b.strategy = strategy;
        b.template = template;
        b.cut = cut;
        b.contextTokens = contextTokens;
        b.maxLength = maxLength;
        b.idCol = idCol;
        b.contextCol = contextCol;
        b.questionCol = questionCol;
        b.answersCol = answersCol;
        b.promptCol = promptCol;
        b.promptIdsCol = promptIdsCol;
        b.maxNewTokens = maxNewTokens;
        b.stops = stops;
        b.logprobs = logprobs;
        b.jrtPadding = jrtPadding;
        b.basedDecode = basedDecode;
        b.batchTokens = batchTokens;
        b.partitions = partitions;
        b.onError = onError;
        b.weights = weights;
        return b;
    }

    /** Defaults as on the command line. */
    public static final class Builder {
        private String model;
        // cpu until the GPU backend has passed its tests on a GPU (docs/gpu-backend.md): auto would pick untested code.
        private String backend = "cpu";
        private String task = "generic";
        private String strategy = "default";
        private String template;
        private String cut = "none";
        private int contextTokens;
        private int maxLength = DEFAULT_MAX_LENGTH;
        private String idCol = "id";
        private String contextCol = "context";
        private String questionCol = "question";
        private String answersCol;
        private String promptCol;
        private String promptIdsCol;
        private int maxNewTokens = GenerationOptions.PAPER_MAX_NEW_TOKENS;
        private List<String> stops = List.of("\n");
        private int logprobs;
        private JrtPadding jrtPadding;
        private BasedDecode basedDecode = BasedDecode.CONSISTENT;
        private int batchTokens = DEFAULT_BATCH_TOKENS;
        private int partitions;
        private String onError = "record";
        private String weights = "fp32";

        public Builder model(String v) { model = v; return this; }
        public Builder backend(String v) { backend = v; return this; }
        public Builder task(String v) { task = v; return this; }
        public Builder strategy(String v) { strategy = v; return this; }
        public Builder template(String v) { template = v; return this; }
        public Builder cut(String v) { cut = v; return this; }
        public Builder contextTokens(int v) { contextTokens = v; return this; }
        public Builder maxLength(int v) { maxLength = v; return this; }
        public Builder idCol(String v) { idCol = v; return this; }
        public Builder contextCol(String v) { contextCol = v; return this; }
        public Builder questionCol(String v) { questionCol = v; return this; }
        public Builder answersCol(String v) { answersCol = v; return this; }
        public Builder promptCol(String v) { promptCol = v; return this; }
        public Builder promptIdsCol(String v) { promptIdsCol = v; return this; }
        public Builder maxNewTokens(int v) { maxNewTokens = v; return this; }
        public Builder stops(List<String> v) { stops = v; return this; }
        public Builder logprobs(int v) { logprobs = v; return this; }
        public Builder jrtPadding(JrtPadding v) { jrtPadding = v; return this; }
        public Builder basedDecode(BasedDecode v) { basedDecode = v; return this; }
        public Builder batchTokens(int v) { batchTokens = v; return this; }
        public Builder partitions(int v) { partitions = v; return this; }
        public Builder onError(String v) { onError = v; return this; }
        public Builder weights(String v) { weights = v; return this; }

        public AnswerOptions build() {
            return new AnswerOptions(model, lower(backend), lower(task), strategy == null ? null : lower(strategy),
                    template, lower(cut), contextTokens, maxLength, idCol, contextCol, questionCol, answersCol,
                    promptCol, promptIdsCol, maxNewTokens, stops, logprobs, jrtPadding, basedDecode, batchTokens,
                    partitions, lower(onError), lower(weights));
        }

        private static String lower(String v) {
            return v == null ? null : v.toLowerCase(Locale.ROOT);
        }
    }
}
