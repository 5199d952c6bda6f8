package io.readtwice.answer;

import io.readtwice.generate.Generation;
import io.readtwice.generate.GenerationOptions;
import io.readtwice.generate.Generator;
import io.readtwice.generate.JrtPadding;
import io.readtwice.model.LanguageModel;
import io.readtwice.prompt.AnswerMetrics;
import io.readtwice.prompt.AnswerText;
import io.readtwice.text.Gpt2Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Answers a group of rows with one model: builds and checks each prompt, packs the good ones into micro-batches by
 * the token budget ({@link TokenBudgetBatcher}), generates, then turns each generation into an answer with
 * gold-answer metrics. A bad row becomes an error answer and the others go on; with {@code failOnError} the first
 * bad row throws {@link BadRowException} instead.
 */
public final class Answerer {
    private final LanguageModel model;
    private final AnswerSettings settings;
    private final Generator generator;
    private final GenerationOptions options;
    private final Prompts prompts;
    private final Gpt2Tokenizer tokenizer = Gpt2Tokenizer.shared();

    public Answerer(LanguageModel model, AnswerSettings settings) {
        this.model = model;
        this.settings = settings;
        this.generator = new Generator(model, tokenizer::decode);
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
            Prompts.Prepared prepared = prompts.prepare(request);
            if (prepared.error() != null) {
                answers[i] = fail(request.id(), prepared.ids() == null ? 0 : prepared.ids().length,
                        prepared.truncated(), prepared.error());
            } else {
                ready.add(new Item(i, prepared));
            }
        }
        for (List<Item> batch : TokenBudgetBatcher.pack(ready, item -> cost(item.prepared()),
                settings.batchTokens())) {
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

    /** Generates for one micro-batch; if the batch fails as a whole, each row is retried alone to isolate it. */
    private List<QaAnswer> generate(List<Prompts.Prepared> batch) {
        List<int[]> ids = new ArrayList<>(batch.size());
        for (Prompts.Prepared p : batch) {
            ids.add(p.ids());
        }
        try {
            List<Generation> generations = generator.generate(ids, options);
            List<QaAnswer> out = new ArrayList<>(batch.size());
            for (int b = 0; b < batch.size(); b++) {
                out.add(toAnswer(batch.get(b), generations.get(b)));
            }
            return out;
        } catch (RuntimeException e) {
            if (batch.size() == 1) {
                Prompts.Prepared p = batch.get(0);
                return List.of(fail(p.request().id(), p.ids().length, p.truncated(),
                        "generation failed: " + e));
            }
            List<QaAnswer> out = new ArrayList<>(batch.size());
            for (Prompts.Prepared p : batch) {
                out.addAll(generate(List.of(p)));
            }
            return out;
        }
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
