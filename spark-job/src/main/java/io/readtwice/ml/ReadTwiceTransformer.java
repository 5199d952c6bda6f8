package io.readtwice.ml;

import io.readtwice.generate.JrtPadding;
import io.readtwice.job.AnswerOptions;
import io.readtwice.job.ReadTwice;
import io.readtwice.model.BasedDecode;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;
import java.util.Locale;

/**
 * {@link ReadTwice#answer} as a Spark ML {@link Transformer}, so a readtwice step can sit in an existing
 * {@code Pipeline}. Its params are the options of {@code readtwice run} with the same defaults:
 *
 * <pre>{@code
 * Dataset<Row> answers = new ReadTwiceTransformer()
 *         .setOption("model", "s3a://models/JRT-360M-30B").setOption("task", "squad")
 *         .setOption("strategy", "twice")
 *         .transform(questions);
 * }</pre>
 */
public final class ReadTwiceTransformer extends Transformer {
    private final String uid;

    public final Param<String> model;
    public final Param<String> backend;
    public final Param<String> weights;
    public final Param<String> task;
    public final Param<String> strategy;
    public final Param<String> template;
    public final Param<String> cut;
    public final IntParam contextTokens;
    public final IntParam maxLength;
    public final Param<String> idCol;
    public final Param<String> contextCol;
    public final Param<String> questionCol;
    public final Param<String> answersCol;
    public final Param<String> promptCol;
    public final Param<String> promptIdsCol;
    public final IntParam maxNewTokens;
    public final StringArrayParam stops;
    public final IntParam logprobs;
    public final Param<String> jrtPadding;
    public final Param<String> basedDecode;
    public final IntParam batchTokens;
    public final IntParam partitions;
    public final Param<String> onError;

    public ReadTwiceTransformer() {
        this(Identifiable$.MODULE$.randomUID("readtwice"));
    }

    public ReadTwiceTransformer(String uid) {
        this.uid = uid;
        model = new Param<>(this, "model", "checkpoint folder (local on every executor, or hdfs:// / s3a://)");
        backend = new Param<>(this, "backend", "auto, cpu or gpu");
        weights = new Param<>(this, "weights", "executors' weight storage: fp32, bf16 or fp16");
        task = new Param<>(this, "task", "fda, swde, squad, triviaqa, drop, nq or generic");
        strategy = new Param<>(this, "strategy", "default, twice or repeat:N");
        template = new Param<>(this, "template", "custom prompt template (unset: the task's)");
        cut = new Param<>(this, "cut", "none, head, tail or around-answer");
        contextTokens = new IntParam(this, "contextTokens", "context budget in tokens for the cut");
        maxLength = new IntParam(this, "maxLength", "most prompt plus generated tokens per row");
        idCol = new Param<>(this, "idCol", "unique row id column");
        contextCol = new Param<>(this, "contextCol", "document column");
        questionCol = new Param<>(this, "questionCol", "question column");
        answersCol = new Param<>(this, "answersCol", "gold answers column (unset: 'answers' when present)");
        promptCol = new Param<>(this, "promptCol", "ready prompt text column");
        promptIdsCol = new Param<>(this, "promptIdsCol", "pre-tokenized prompt column");
        maxNewTokens = new IntParam(this, "maxNewTokens", "tokens to generate at most");
        stops = new StringArrayParam(this, "stops", "stop sequences (empty: none)");
        logprobs = new IntParam(this, "logprobs", "top log-probabilities per step (0: no log-prob columns)");
        jrtPadding = new Param<>(this, "jrtPadding", "left or none (unset: left for JRT-RNN)");
        basedDecode = new Param<>(this, "basedDecode", "consistent or reference");
        batchTokens = new IntParam(this, "batchTokens", "token budget of one micro-batch");
        partitions = new IntParam(this, "partitions", "partitions to spread rows over (0: default parallelism)");
        onError = new Param<>(this, "onError", "record or fail");

        AnswerOptions d = AnswerOptions.builder().build();
        setDefault(backend, d.backend());
        setDefault(weights, d.weights());
        setDefault(task, d.task());
        setDefault(strategy, d.strategy());
        setDefault(cut, d.cut());
        setDefault(contextTokens, d.contextTokens());
        setDefault(maxLength, d.maxLength());
        setDefault(idCol, d.idCol());
        setDefault(contextCol, d.contextCol());
        setDefault(questionCol, d.questionCol());
        setDefault(maxNewTokens, d.maxNewTokens());
        setDefault(stops, d.stops().toArray(String[]::new));
        setDefault(logprobs, d.logprobs());
        setDefault(basedDecode, d.basedDecode().name().toLowerCase(Locale.ROOT));
        setDefault(batchTokens, d.batchTokens());
        setDefault(partitions, d.partitions());
        setDefault(onError, d.onError());
    }

    // Spark ML finds params through public no-argument methods that return them.
    public Param<String> model() {
        return model;
    }

    public Param<String> backend() {
        return backend;
    }

    public Param<String> weights() {
        return weights;
    }

    public Param<String> task() {
        return task;
    }

    public Param<String> strategy() {
        return strategy;
    }

    public Param<String> template() {
        return template;
    }

    public Param<String> cut() {
        return cut;
    }

    public IntParam contextTokens() {
        return contextTokens;
    }

    public IntParam maxLength() {
        return maxLength;
    }

    public Param<String> idCol() {
        return idCol;
    }

    public Param<String> contextCol() {
        return contextCol;
    }

    public Param<String> questionCol() {
        return questionCol;
    }

    public Param<String> answersCol() {
        return answersCol;
    }

    public Param<String> promptCol() {
        return promptCol;
    }

    public Param<String> promptIdsCol() {
        return promptIdsCol;
    }

    public IntParam maxNewTokens() {
        return maxNewTokens;
    }

    public StringArrayParam stops() {
        return stops;
    }

    public IntParam logprobs() {
        return logprobs;
    }

    public Param<String> jrtPadding() {
        return jrtPadding;
    }

    public Param<String> basedDecode() {
        return basedDecode;
    }

    public IntParam batchTokens() {
        return batchTokens;
    }

    public IntParam partitions() {
        return partitions;
    }

    public Param<String> onError() {
        return onError;
    }

    /** Sets a param by name, e.g. {@code setOption("task", "squad")} or {@code setOption("maxNewTokens", 8)}. */
    public ReadTwiceTransformer setOption(String name, Object value) {
        set(getParam(name), value);
        return this;
    }

    /** The options the params stand for; unset optional params are null. */
    public AnswerOptions options() {
        return AnswerOptions.builder()
                .model(optional(model)).backend($(backend)).task($(task)).strategy($(strategy))
                .template(optional(template)).cut($(cut)).contextTokens((Integer) $(contextTokens))
                .maxLength((Integer) $(maxLength)).idCol($(idCol)).contextCol($(contextCol))
                .questionCol($(questionCol)).answersCol(optional(answersCol)).promptCol(optional(promptCol))
                .promptIdsCol(optional(promptIdsCol)).maxNewTokens((Integer) $(maxNewTokens))
                .stops(Arrays.asList($(stops))).logprobs((Integer) $(logprobs))
                .jrtPadding(optional(jrtPadding) == null ? null
                        : JrtPadding.valueOf(optional(jrtPadding).toUpperCase(Locale.ROOT)))
                .basedDecode(BasedDecode.valueOf($(basedDecode).toUpperCase(Locale.ROOT)))
                .batchTokens((Integer) $(batchTokens)).partitions((Integer) $(partitions)).onError($(onError))
                .weights($(weights)).build();
    }

    private <T> T optional(Param<T> param) {
        return isDefined(param) ? $(param) : null;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        return ReadTwice.answer(dataset.sparkSession(), dataset.toDF(), options());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return ReadTwice.outputSchema(schema, options());
    }

    @Override
    public ReadTwiceTransformer copy(ParamMap extra) {
        return (ReadTwiceTransformer) defaultCopy(extra);
    }

    @Override
    public String uid() {
        return uid;
    }
}
