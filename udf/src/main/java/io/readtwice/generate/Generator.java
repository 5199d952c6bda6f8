package io.readtwice.generate;

import io.readtwice.model.LanguageModel;

import java.util.List;
import java.util.function.Function;

/** Greedy generation over a batch of prompts (model-spec §6.2): prefill, then one recurrent step per token. */
public final class Generator {
    private final LanguageModel model;
    private final Function<int[], String> detokenizer;

    /**
     * @param model       the model to run
     * @param detokenizer turns generated ids into text, for stop sequences and {@link Generation#text()}
     */
    public Generator(LanguageModel model, Function<int[], String> detokenizer) {
        this.model = model;
        this.detokenizer = detokenizer;
    }

    /** Generates for every prompt; each result equals running that prompt alone. */
    public List<Generation> generate(List<int[]> prompts, GenerationOptions options) {
        throw new UnsupportedOperationException("TODO");
    }
}
