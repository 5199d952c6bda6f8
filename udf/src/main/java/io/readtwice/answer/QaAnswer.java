package io.readtwice.answer;

import io.readtwice.generate.Generation;

import java.util.List;

/**
 * The answer to one {@link QaRequest}, or the reason there is none.
 *
 * @param id              the request's id
 * @param answer          the generation cut at the first stop sequence and post-processed; null on error
 * @param generation      the raw decoded generation (stop sequence included); null on error
 * @param tokenIds        generated ids; null on error
 * @param tokenLogprobs   log-probability of each generated id; null on error
 * @param topLogprobs     per step the K most likely tokens (empty lists without --logprobs); null on error
 * @param promptTokens    tokens of the prompt the model read (after truncation, before JRT padding); 0 if unknown
 * @param generatedTokens number of generated ids
 * @param truncated       the prompt was cut to fit (context cut or length limit)
 * @param error           null when ok, else the reason
 * @param contains        gold-answer metrics, null without gold answers or on error
 * @param exactMatch      as above
 * @param f1              as above
 */
public record QaAnswer(String id, String answer, String generation, int[] tokenIds, float[] tokenLogprobs,
                       List<List<Generation.TokenLogprob>> topLogprobs, int promptTokens, int generatedTokens,
                       boolean truncated, String error, Double contains, Double exactMatch, Double f1) {

    public boolean ok() {
        return error == null;
    }

    public static QaAnswer failed(String id, int promptTokens, boolean truncated, String error) {
        return new QaAnswer(id, null, null, null, null, null, promptTokens, 0, truncated, error, null, null, null);
    }
}
