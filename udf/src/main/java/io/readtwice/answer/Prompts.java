package io.readtwice.answer;

import io.readtwice.prompt.PreparedPrompt;
import io.readtwice.prompt.PromptException;
import io.readtwice.text.Gpt2Tokenizer;

/**
 * Turns a request into prompt token ids and checks them. Rows with fields get the task prompt from the
 * {@link io.readtwice.prompt.PromptBuilder} (document cut, template, left truncation to max length − max new
 * tokens); a ready prompt text is tokenized and left-truncated the same way; pre-tokenized ids are used exactly as
 * given, so ids longer than that budget are an error rather than silently cut.
 */
final class Prompts {
    private final AnswerSettings settings;
    private final Gpt2Tokenizer tokenizer;
    private final int vocabulary;

    Prompts(AnswerSettings settings, Gpt2Tokenizer tokenizer, int vocabulary) {
        this.settings = settings;
        this.tokenizer = tokenizer;
        this.vocabulary = vocabulary;
    }

    /**
     * A prompt ready to generate from, or the reason there is none.
     *
     * @param ids       prompt ids (null when the prompt could not be built)
     * @param truncated the prompt was cut to fit
     * @param error     null, or why the row cannot be answered
     */
    record Prepared(QaRequest request, int[] ids, boolean truncated, String error) {
    }

    Prepared prepare(QaRequest request) {
        if (request.error() != null) {
            return new Prepared(request, null, false, request.error());
        }
        int budget = settings.prompts().options().promptTokenBudget();
        int[] ids;
        boolean truncated = false;
        if (request.promptIds() != null) {
            ids = request.promptIds();
            if (ids.length > budget) {
                return new Prepared(request, ids, false, "prompt too long: " + ids.length + " tokens; at most "
                        + budget + " fit (--max-length " + settings.maxLength() + " − --max-new-tokens "
                        + settings.maxNewTokens() + "), and pre-tokenized prompts are not cut");
            }
        } else if (request.promptText() != null) {
            if (request.promptText().isBlank()) {
                return new Prepared(request, null, false, "empty prompt");
            }
            ids = tokenizer.encode(request.promptText());
            if (ids.length > budget) {
                // keep the end, where the question is, as the task prompts do
                int[] kept = new int[budget];
                System.arraycopy(ids, ids.length - budget, kept, 0, budget);
                ids = kept;
                truncated = true;
            }
        } else {
            try {
                PreparedPrompt prompt = settings.prompts().build(request.fields(), request.goldAnswers());
                ids = prompt.ids();
                truncated = prompt.truncated();
            } catch (PromptException e) {
                return new Prepared(request, null, false, e.getMessage());
            }
        }
        if (ids.length == 0) {
            return new Prepared(request, ids, false, "empty prompt (0 tokens)");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabulary) {
                return new Prepared(request, ids, truncated, "prompt token " + ids[i] + " at position " + i
                        + " is outside the model's vocabulary (ids 0.." + (vocabulary - 1) + ")");
            }
        }
        return new Prepared(request, ids, truncated, null);
    }
}
