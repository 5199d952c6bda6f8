package io.readtwice.answer;

import io.readtwice.generate.GenerationOptions;
import io.readtwice.generate.JrtPadding;
import io.readtwice.model.BasedDecode;
import io.readtwice.model.ModelConfig;

import java.io.Serializable;
import java.util.List;

/**
 * Everything an executor needs to answer rows, shipped with the task (small and serializable; the model itself
 * stays in {@link ModelHolder}).
 *
 * @param backend       compute backend name; only {@code cpu} exists in this build
 * @param task          prompt task name (fda, swde, squad, triviaqa, drop, nq, generic)
 * @param strategy      prompt strategy (default, twice, repeat:N)
 * @param template      a custom prompt template, or null for the task's own
 * @param cut           how the context is cut to fit (none, head, tail, around-answer)
 * @param contextTokens context budget in tokens for the cut (0: no budget)
 * @param maxLength     the most prompt plus generated tokens a row may take
 * @param maxNewTokens  tokens to generate at most
 * @param stops         stop sequences (empty: run to maxNewTokens)
 * @param logprobs      top log-probabilities to keep per step (0: none)
 * @param jrtPadding    JRT prompt padding, or null for the model's default (left for JRT-RNN)
 * @param basedDecode   Based decode flavour
 * @param batchTokens   token budget of one micro-batch (prompt plus generated tokens, summed)
 * @param failOnError   throw on the first bad row instead of recording it
 */
public record AnswerSettings(String backend, String task, String strategy, String template,
                             String cut, int contextTokens, int maxLength, int maxNewTokens, List<String> stops,
                             int logprobs, JrtPadding jrtPadding, BasedDecode basedDecode, int batchTokens,
                             boolean failOnError) implements Serializable {

    public AnswerSettings {
        stops = List.copyOf(stops);
        if (batchTokens < 1) {
            throw new IllegalArgumentException("batchTokens must be at least 1, got " + batchTokens);
        }
    }

    /** Generation options for a model with this config (JRT padding defaults to left for JRT-RNN). */
    public GenerationOptions generationOptions(ModelConfig config) {
        JrtPadding padding = jrtPadding != null ? jrtPadding : config.isJrt() ? JrtPadding.LEFT : JrtPadding.NONE;
        return new GenerationOptions(maxNewTokens, stops, logprobs, padding, basedDecode);
    }
}
