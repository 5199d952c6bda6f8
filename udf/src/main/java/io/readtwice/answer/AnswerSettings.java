package io.readtwice.answer;

import io.readtwice.generate.GenerationOptions;
import io.readtwice.generate.JrtPadding;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.model.BasedDecode;
import io.readtwice.model.ModelConfig;
import io.readtwice.prompt.PromptBuilder;

import java.io.Serializable;
import java.util.List;

/**
 * Everything an executor needs to answer rows, shipped with the task (small and serializable; the model itself
 * stays in {@link ModelHolder}).
 *
 * @param backend     compute backend name; only {@code cpu} exists in this build
 * @param prompts     builds task prompts from row fields (its options also give max length and max new tokens)
 * @param stops       stop sequences (empty: run to max new tokens)
 * @param logprobs    top log-probabilities to keep per step (0: none)
 * @param jrtPadding  JRT prompt padding, or null for the model's default (left for JRT-RNN)
 * @param basedDecode Based decode flavour
 * @param batchTokens token budget of one micro-batch (prompt plus generated tokens, summed)
 * @param failOnError throw on the first bad row instead of recording it
 * @param weights     how the executor's model stores its weight matrices
 */
public record AnswerSettings(String backend, PromptBuilder prompts, List<String> stops, int logprobs,
                             JrtPadding jrtPadding, BasedDecode basedDecode, int batchTokens,
                             boolean failOnError, WeightPrecision weights) implements Serializable {

    public AnswerSettings {
        stops = List.copyOf(stops);
        if (batchTokens < 1) {
            throw new IllegalArgumentException("batchTokens must be at least 1, got " + batchTokens);
        }
    }

    /** Settings with float32 weights. */
    public AnswerSettings(String backend, PromptBuilder prompts, List<String> stops, int logprobs,
                          JrtPadding jrtPadding, BasedDecode basedDecode, int batchTokens, boolean failOnError) {
        this(backend, prompts, stops, logprobs, jrtPadding, basedDecode, batchTokens, failOnError,
                WeightPrecision.FP32);
    }

    public int maxNewTokens() {
        return prompts.options().maxNewTokens();
    }

    public int maxLength() {
        return prompts.options().maxLength();
    }

    /** Generation options for a model with this config (JRT padding defaults to left for JRT-RNN). */
    public GenerationOptions generationOptions(ModelConfig config) {
        JrtPadding padding = jrtPadding != null ? jrtPadding : config.isJrt() ? JrtPadding.LEFT : JrtPadding.NONE;
        return new GenerationOptions(maxNewTokens(), stops, logprobs, padding, basedDecode);
    }
}
