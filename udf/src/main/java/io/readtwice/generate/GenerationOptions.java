package io.readtwice.generate;

import io.readtwice.model.BasedDecode;

import java.util.List;

/**
 * How greedy generation runs (model-spec §6).
 *
 * @param maxNewTokens  stop after this many generated tokens (48 in the paper)
 * @param stops         stop sequences; generation ends once the decoded text contains one (empty: never stop early)
 * @param logprobs      how many top log-probabilities to report per step (0: none)
 * @param jrtPadding    JRT-RNN prompt handling (ignored for models without prefix linear attention)
 * @param basedDecode   Based decode flavour (ignored for models without Based linear attention)
 */
public record GenerationOptions(int maxNewTokens, List<String> stops, int logprobs, JrtPadding jrtPadding,
                                BasedDecode basedDecode) {

    public static final int PAPER_MAX_NEW_TOKENS = 48;

    public GenerationOptions {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be at least 1, got " + maxNewTokens);
        }
        if (logprobs < 0) {
            throw new IllegalArgumentException("logprobs must be >= 0, got " + logprobs);
        }
        stops = List.copyOf(stops);
        for (String s : stops) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("a stop sequence must not be empty");
            }
        }
    }

    /** The paper's evaluation settings: 48 new tokens, stop at the first newline, reference JRT padding. */
    public static GenerationOptions paperDefaults() {
        return new GenerationOptions(PAPER_MAX_NEW_TOKENS, List.of("\n"), 0, JrtPadding.LEFT, BasedDecode.CONSISTENT);
    }
}
