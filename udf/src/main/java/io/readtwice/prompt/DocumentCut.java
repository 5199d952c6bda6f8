package io.readtwice.prompt;

import io.readtwice.text.Gpt2Tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cuts the document to a token budget before the template is applied ({@link ContextCut}).
 *
 * <p>{@code head} and {@code tail} keep the first or last budget GPT-2 tokens of a longer document and decode them
 * byte-exactly (a character split between the cut tokens becomes U+FFFD); a document within budget is untouched.
 *
 * <p>{@code around-answer} is the reference harness's {@code truncate_context} (model-spec §6.3), quirks included,
 * because its only use is reproducing the paper:
 * <ol>
 *   <li>the document is stripped (Python {@code strip()}) and tokenized: n tokens;</li>
 *   <li>each search term (the task's answer fields) is looked up case-insensitively as a literal; the earliest match
 *       wins. A term of fewer than two characters makes the harness drop the row; here the row fails
 *       ({@link PromptException}). A task with no search terms (DROP, TriviaQA) uses position 0;</li>
 *   <li>p = the token count of the text before the match; when nothing matched, the harness takes
 *       {@code context[:-1]} (everything but the last character), so the window sits at the document's end;</li>
 *   <li>{@code start = max(0, p − budget/2)}, {@code end = min(n, p + budget − (p − start))}; tokens
 *       [start, end) are decoded with Hugging Face's clean-up ({@link HfDecodeCleanup}). Note the window can drop
 *       the head of a document that would fit the budget whole.</li>
 * </ol>
 */
final class DocumentCut {

    /** The document after the cut, and a line for the row's truncation report, or null when nothing changed. */
    record Result(String document, String report) {
    }

    private DocumentCut() {
    }

    /**
     * @param searchTerms around-answer: the strings to centre on (earliest match); an empty list means position 0
     */
    static Result apply(ContextCut cut, int budget, String document, List<String> searchTerms,
                        Gpt2Tokenizer tokenizer) {
        return switch (cut) {
            case NONE -> new Result(document, null);
            case HEAD, TAIL -> headOrTail(cut, budget, document, tokenizer);
            case AROUND_ANSWER -> aroundAnswer(budget, document, searchTerms, tokenizer);
        };
    }

    private static Result headOrTail(ContextCut cut, int budget, String document, Gpt2Tokenizer tokenizer) {
        int[] ids = tokenizer.encode(document);
        if (ids.length <= budget) {
            return new Result(document, null);
        }
        int[] kept = cut == ContextCut.HEAD
                ? Arrays.copyOfRange(ids, 0, budget)
                : Arrays.copyOfRange(ids, ids.length - budget, ids.length);
        String report = "context: kept the " + (cut == ContextCut.HEAD ? "first " : "last ") + budget + " of "
                + ids.length + " tokens (" + cut.label() + ")";
        return new Result(tokenizer.decode(kept), report);
    }

    private static Result aroundAnswer(int budget, String document, List<String> searchTerms,
                                       Gpt2Tokenizer tokenizer) {
        String context = PythonStr.strip(document);
        int[] ids = tokenizer.encode(context);
        int n = ids.length;

        int answerAt = searchTerms.isEmpty() ? 0 : earliestMatch(context, searchTerms);
        String before = answerAt >= 0 ? context.substring(0, answerAt) : PythonStr.dropLastCodePoints(context, 1);
        int p = tokenizer.countTokens(before);

        int start = Math.max(0, p - budget / 2);
        int end = Math.min(n, p + (budget - (p - start)));
        // Python slicing: a start past the end gives an empty window rather than an error.
        start = Math.min(start, n);
        end = Math.max(end, start);
        String cutText = HfDecodeCleanup.apply(tokenizer.decode(Arrays.copyOfRange(ids, start, end)));

        if (cutText.equals(document)) {
            return new Result(document, null);
        }
        String where = answerAt >= 0 ? "answer at token " + p : "answer not found, window at the end as the harness";
        String report = start == 0 && end == n
                ? "context: around-answer kept all " + n + " tokens; stripped and decoded with Hugging Face clean-up"
                : "context: around-answer kept tokens " + start + ".." + end + " of " + n + " (" + where
                        + ", budget " + budget + ")";
        return new Result(cutText, report);
    }

    /** The UTF-16 index of the earliest case-insensitive literal match of any term, or −1. */
    private static int earliestMatch(String context, List<String> terms) {
        int earliest = -1;
        for (String term : terms) {
            Matcher m = Pattern.compile(Pattern.quote(term), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE)
                    .matcher(context);
            if (m.find() && (earliest < 0 || m.start() < earliest)) {
                earliest = m.start();
            }
        }
        return earliest;
    }
}
