package io.readtwice.answer;

import io.readtwice.generate.Generation;
import io.readtwice.generate.GenerationOptions;
import io.readtwice.generate.Generator;
import io.readtwice.generate.JrtPadding;
import io.readtwice.kernels.DeviceError;
import io.readtwice.kernels.DeviceOutOfMemory;
import io.readtwice.model.CausalLm;
import io.readtwice.prompt.AnswerMetrics;
import io.readtwice.prompt.AnswerText;
import io.readtwice.text.Gpt2Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Answers a group of rows with one model: builds and checks each prompt, packs the good ones into micro-batches by
 * the token budget ({@link TokenBudgetBatcher}; on a GPU at most {@link CausalLm#tokenLimit()}), generates,
 * then turns each generation into an answer with gold-answer metrics. A bad row becomes an error answer and the others go on; with {@code failOnError} the first
 * bad row throws {@link BadRowException} instead.
 *
 * <p>Rows and the engine fail differently. Anything thrown while building one row's prompt fails that row. A
 * micro-batch that throws is retried row by row, so a row that fails alone becomes an error row. But the engine
 * itself failing is not the rows' fault and must not be recorded as answers: {@link EngineFailure} or
 * {@link DeviceError} (a device error), an {@link OutOfMemoryError} or {@link DeviceOutOfMemory} for a single row
 * (a batch that runs out of JVM or device memory is first split in halves and retried),
 * a {@link StackOverflowError}, or {@value #ENGINE_FAILURE_STREAK} rows in a row failing alone with no success in
 * between all throw {@link EngineFailure}, which fails the Spark task (Spark retries it) and leaves the JVM alive.
 */
public final class Answerer {
    /** Rows failing alone, one after the other, that mean the engine rather than the rows is broken. */
    static final int ENGINE_FAILURE_STREAK = 4;

    /** What generates: the model's {@link Generator}; tests put a failing engine in its place. */
    interface Engine {
        List<Generation> generate(List<int[]> prompts, GenerationOptions options);
    }

    private final CausalLm<?> model;
    private final AnswerSettings settings;
    private final Engine engine;
    private final GenerationOptions options;
    private final Prompts prompts;
    private final Gpt2Tokenizer tokenizer = Gpt2Tokenizer.shared();
    /** Rows whose generation failed alone since the last row that generated. */
    private int failureStreak;

    public Answerer(CausalLm<?> model, AnswerSettings settings) {
        this(model, settings, null);
    }

    Answerer(CausalLm<?> model, AnswerSettings settings, Engine engine) {
        this.model = model;
        this.settings = settings;
        this.engine = engine != null ? engine : new Generator(model, tokenizer::decode)::generate;
        this.options = settings.generationOptions(model.config());
        this.prompts = new Prompts(settings, tokenizer, model.config().paddedVocab());
    }

    /** Thrown for a bad row when the settings say to fail instead of recording it. */
    public static final class BadRowException extends RuntimeException {
        public BadRowException(String message) {
            super(message);
        }
    }

    /** One answer per request, in request order. */
    public List<QaAnswer> answer(List<QaRequest> requests) {
        QaAnswer[] answers = new QaAnswer[requests.size()];
        List<Item> ready = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            QaRequest request = requests.get(i);
            Prompts.Prepared prepared = prepare(request);
            if (prepared.error() != null) {
                answers[i] = fail(request.id(), prepared.ids() == null ? 0 : prepared.ids().length,
                        prepared.truncated(), prepared.error());
            } else {
                ready.add(new Item(i, prepared));
            }
        }
        // on a GPU the budget is also bounded by the device memory free for activations now
        int budget = Math.max(1, Math.min(settings.batchTokens(), model.tokenLimit()));
        for (List<Item> batch : TokenBudgetBatcher.pack(ready, item -> cost(item.prepared()), budget)) {
            List<Prompts.Prepared> prepared = new ArrayList<>(batch.size());
            for (Item item : batch) {
                prepared.add(item.prepared());
            }
            List<QaAnswer> done = generate(prepared);
            for (int b = 0; b < batch.size(); b++) {
                answers[batch.get(b).slot()] = done.get(b);
            }
        }
        return List.of(answers);
    }

    /** The row's prompt; whatever goes wrong building it (even running out of memory) fails the row only. */
    private Prompts.Prepared prepare(QaRequest request) {
        try {
            return prompts.prepare(request);
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            return new Prompts.Prepared(request, null, false, "cannot build the prompt: " + e);
        }
    }

    /** A prepared prompt and the position of its request. */
    private record Item(int slot, Prompts.Prepared prepared) {
    }

    /** Tokens a prompt takes in a batch: what the model reads (JRT pads included) plus what it generates. */
    private int cost(Prompts.Prepared prepared) {
        int read = prepared.ids().length;
        if (model.config().isJrt() && options.jrtPadding() == JrtPadding.LEFT) {
            read = Math.max(read, model.config().linearAttention().encLength());
        }
        return read + settings.maxNewTokens();
    }

    /**
     * Generates for one micro-batch. A batch that throws is split: in halves when it ran out of memory, else into
     * single rows, so that a row failing alone becomes an error row (see the class comment for engine failures).
     */
    private List<QaAnswer> generate(List<Prompts.Prepared> batch) {
        List<int[]> ids = new ArrayList<>(batch.size());
        for (Prompts.Prepared p : batch) {
            ids.add(p.ids());
        }
        List<Generation> generations;
        try {
            generations = engine.generate(ids, options);
        } catch (EngineFailure e) {
            throw e;
        } catch (DeviceError e) {
            throw new EngineFailure("device error: " + e.getMessage(), e);
        } catch (OutOfMemoryError | DeviceOutOfMemory e) {
            if (batch.size() == 1) {
                throw new EngineFailure("out of memory generating one row of " + ids.get(0).length
                        + " prompt tokens; give the executors more memory or lower --max-length", e);
            }
            int half = batch.size() / 2;
            List<QaAnswer> out = new ArrayList<>(generate(batch.subList(0, half)));
            out.addAll(generate(batch.subList(half, batch.size())));
            return out;
        } catch (StackOverflowError e) {
            throw new EngineFailure("stack overflow in the engine", e);
        } catch (RuntimeException e) {
            if (batch.size() > 1) {
                List<QaAnswer> out = new ArrayList<>(batch.size());
                for (Prompts.Prepared p : batch) {
                    out.addAll(generate(List.of(p)));
                }
                return out;
            }
            Prompts.Prepared p = batch.get(0);
            if (++failureStreak >= ENGINE_FAILURE_STREAK) {
                throw new EngineFailure(failureStreak + " rows in a row failed to generate, each alone: the engine "
                        + "is failing, not the rows; last: " + e, e);
            }
            if (settings.failOnError()) {
                // not a bad row (its prompt was valid): fail the task, which Spark may retry
                throw new EngineFailure("generation failed for row " + p.request().id() + ": " + e, e);
            }
            return List.of(fail(p.request().id(), p.ids().length, p.truncated(), "generation failed: " + e));
        }
        failureStreak = 0;
        List<QaAnswer> out = new ArrayList<>(batch.size());
        for (int b = 0; b < batch.size(); b++) {
            out.add(toAnswer(batch.get(b), generations.get(b)));
        }
        return out;
    }

    private QaAnswer toAnswer(Prompts.Prepared prepared, Generation g) {
        String raw = tokenizer.decode(g.tokenIds());
        String answer = AnswerText.postProcess(raw, settings.stops());
        List<String> gold = prepared.request().goldAnswers();
        Double contains = null;
        Double exact = null;
        Double f1 = null;
        if (gold != null) {
            contains = AnswerMetrics.contains(answer, gold);
            exact = AnswerMetrics.exactMatch(answer, gold);
            f1 = AnswerMetrics.f1(answer, gold);
        }
        return new QaAnswer(prepared.request().id(), answer, raw, g.tokenIds(), g.tokenLogprobs(), g.topLogprobs(),
                g.promptTokens(), g.tokenIds().length, prepared.truncated(), null, contains, exact, f1);
    }

    private QaAnswer fail(String id, int promptTokens, boolean truncated, String error) {
        if (settings.failOnError()) {
            throw new BadRowException("row " + id + ": " + error);
        }
        return QaAnswer.failed(id, promptTokens, truncated, error);
    }
}
