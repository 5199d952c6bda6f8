package io.readtwice.generate;

import java.util.List;

/**
 * The result of greedy generation for one prompt.
 *
 * @param promptTokens       tokens of the prompt before any padding
 * @param paddedPromptTokens tokens the model actually read (JRT left padding included)
 * @param tokenIds           every generated id, including the one that completed a stop sequence
 * @param tokenLogprobs      log-softmax of the chosen token at each step
 * @param topLogprobs        per step, the K best tokens (empty lists when K = 0)
 * @param text               decoded generation, cut before the first stop sequence
 * @param stoppedBy          the stop sequence that ended generation, or null when it ran to maxNewTokens
 */
public record Generation(int promptTokens, int paddedPromptTokens, int[] tokenIds, float[] tokenLogprobs,
                         List<List<TokenLogprob>> topLogprobs, String text, String stoppedBy) {

    /** One candidate token and its log-probability. */
    public record TokenLogprob(int id, float logprob) {
    }
}
