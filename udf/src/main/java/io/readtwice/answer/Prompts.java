package io.readtwice.answer;

import io.readtwice.text.Gpt2Tokenizer;

import java.util.Map;

/**
 * Turns a request into prompt token ids and checks them: pre-tokenized ids and ready prompt texts are used as
 * they are; rows with fields get a task prompt.
 *
 * <p>PLACEHOLDER for task prompts: until the prompt package (issue 3) lands, a task prompt is the context followed
 * by the question, with the context repeated for strategies that read it more than once.
 */
final class Prompts {
    private final AnswerSettings settings;
    private final Gpt2Tokenizer tokenizer;
    private final int vocabulary;
    private final int readings;

    Prompts(AnswerSettings settings, Gpt2Tokenizer tokenizer, int vocabulary) {
        this.settings = settings;
        this.tokenizer = tokenizer;
        this.vocabulary = vocabulary;
        this.readings = readings(settings.strategy());
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
        int[] ids;
        if (request.promptIds() != null) {
            ids = request.promptIds();
        } else if (request.promptText() != null) {
            if (request.promptText().isEmpty()) {
                return new Prepared(request, null, false, "empty prompt");
            }
            ids = tokenizer.encode(request.promptText());
        } else {
            String missing = missingField(request.fields());
            if (missing != null) {
                return new Prepared(request, null, false, missing);
            }
            ids = tokenizer.encode(taskPrompt(request.fields()));
        }
        if (ids.length == 0) {
            return new Prepared(request, ids, false, "empty prompt (0 tokens)");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabulary) {
                return new Prepared(request, ids, false, "prompt token " + ids[i] + " at position " + i
                        + " is outside the model's vocabulary (ids 0.." + (vocabulary - 1) + ")");
            }
        }
        if (ids.length + settings.maxNewTokens() > settings.maxLength()) {
            return new Prepared(request, ids, false, "prompt too long: " + ids.length + " tokens + "
                    + settings.maxNewTokens() + " new tokens exceed --max-length " + settings.maxLength());
        }
        return new Prepared(request, ids, false, null);
    }

    private static String missingField(Map<String, String> fields) {
        for (String name : new String[]{"context", "question"}) {
            String value = fields.get(name);
            if (value == null) {
                return "null " + name;
            }
            if (value.isBlank()) {
                return "empty " + name;
            }
        }
        return null;
    }

    private String taskPrompt(Map<String, String> fields) {
        StringBuilder prompt = new StringBuilder();
        for (int r = 0; r < readings; r++) {
            prompt.append(fields.get("context").strip()).append('\n');
        }
        return prompt.append(fields.get("question").strip()).toString();
    }

    private static int readings(String strategy) {
        if (strategy == null || strategy.equals("default")) {
            return 1;
        }
        if (strategy.equals("twice")) {
            return 2;
        }
        return Integer.parseInt(strategy.substring(strategy.indexOf(':') + 1));
    }
}
