package io.readtwice.answer;

import java.util.List;
import java.util.Map;

/**
 * One row to answer, as the executor sees it after the edge conversion: exactly one of {@code fields} (a task
 * prompt is built from them), {@code promptText} (tokenized as is) or {@code promptIds} (pre-tokenized) is set,
 * unless {@code error} already says why the row cannot be answered.
 *
 * @param id          the row's id, echoed in the answer
 * @param fields      logical fields {@code context} and {@code question} plus every input column by name
 * @param goldAnswers gold answers for scoring, or null when the input has none
 * @param promptText  a ready prompt, or null
 * @param promptIds   a ready, tokenized prompt, or null
 * @param error       why the row is bad (null, empty, wrong type, invalid UTF-8), or null
 */
public record QaRequest(String id, Map<String, String> fields, List<String> goldAnswers, String promptText,
                        int[] promptIds, String error) {

    public static QaRequest ofFields(String id, Map<String, String> fields, List<String> gold) {
        return new QaRequest(id, fields, gold, null, null, null);
    }

    public static QaRequest ofText(String id, String prompt, List<String> gold) {
        return new QaRequest(id, null, gold, prompt, null, null);
    }

    public static QaRequest ofIds(String id, int[] ids, List<String> gold) {
        return new QaRequest(id, null, gold, null, ids, null);
    }

    public static QaRequest invalid(String id, String error, List<String> gold) {
        return new QaRequest(id, null, gold, null, null, error);
    }
}
