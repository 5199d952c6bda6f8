package io.readtwice.prompt;

import java.util.regex.Pattern;

import static io.readtwice.prompt.PythonStr.beforeFirst;
import static io.readtwice.prompt.PythonStr.removeTrailingIgnoreCase;
import static io.readtwice.prompt.PythonStr.removeTrailingOnce;
import static io.readtwice.prompt.PythonStr.strip;
import static io.readtwice.prompt.PythonStr.upperFirst;

/**
 * The reference harness's prompt for each task (model-spec §7; {@code doc_to_text} of the {@code based_*} classes), one
 * reading (default) or N ({@link Readings}; N = 2 is the harness's {@code _twice} class). The string operations
 * follow the Python code step by step, so the paper's prompts are reproduced character for character; do not
 * "simplify" a strip chain.
 */
final class TaskTemplates {
    /** SWDE documents end with a summary section; the harness keeps what comes before its first marker. */
    static final String SWDE_SUMMARY_MARKER = "Summary of information above...";
    /** TriviaQA contexts carry these markers; the harness deletes them in one left-to-right pass. */
    private static final Pattern TRIVIAQA_MARKERS = Pattern.compile("\\[PAR\\]|\\[DOC\\]|\\[TLE\\]");
    /** The SQuAD harness cuts its {@code context} at this before the first reading. */
    private static final String SQUAD_QUESTION_MARK = "Question:";

    private TaskTemplates() {
    }

    /**
     * The prompt for one row.
     *
     * @param context      the document, already cut to its budget; not blank
     * @param question     the question (FDA/SWDE: the attribute key); not blank
     * @param origQuestion DROP/TriviaQA/NQ: the original question for the twice lead, or null to use {@code question}
     * @param squadText    SQuAD: the harness's completion prompt, or null to build one from context and question
     */
    static String render(Task task, int readings, String context, String question, String origQuestion,
                         String squadText) {
        String lead = origQuestion != null ? origQuestion : question;
        return switch (task) {
            case FDA -> fda(readings, context, question);
            case SWDE -> swde(readings, context, question);
            case SQUAD -> squad(readings, context, question, squadText);
            case DROP -> drop(readings, context, question, lead);
            case TRIVIAQA -> triviaQa(readings, context, question, lead);
            case NQ -> nq(readings, context, question, lead);
            case GENERIC -> generic(readings, context, question);
        };
    }

    /** {@code based_fda}: the document, then the capitalised key and a colon. */
    private static String fda(int readings, String text, String key) {
        text = removeTrailingIgnoreCase(text, key + ":");
        String attribute = upperFirst(key) + ":";
        String document = strip(strip(text, '\n'), '.');
        if (!document.endsWith(".")) {
            document += ".";
        }
        if (readings == 1) {
            return document + " " + attribute;
        }
        return new Readings(informationAbout(attribute), document, document + " " + attribute).render(readings);
    }

    /** {@code based_swde}: as FDA, after cutting the summary section; the two variants strip in different orders. */
    private static String swde(int readings, String text, String key) {
        text = beforeFirst(text, SWDE_SUMMARY_MARKER);
        text = removeTrailingIgnoreCase(text, key + ":");
        String attribute = upperFirst(key) + ":";
        if (readings == 1) {
            String document = strip(strip(strip(strip(strip(text, '\n')), '\n')), '.') + ".";
            return document + " " + attribute;
        }
        String document = strip(strip(strip(strip(strip(text, '\n'), '.')), '\n'));
        if (!document.endsWith(".")) {
            document += ".";
        }
        return new Readings(informationAbout(attribute), document, document + " " + attribute).render(readings);
    }

    /** FDA/SWDE twice lead: {@code "Information about " + attribute.strip(":") + ". "}. */
    private static String informationAbout(String attribute) {
        return "Information about " + strip(attribute, ':') + ". ";
    }

    /**
     * {@code based_squad}: the completion prompt as is; twice puts the question and the paragraph (up to any
     * "Question:") first. Without the dataset's {@code text}, the completion prompt is the paragraph, then
     * "Question: …" and "Answer:" on their own lines.
     */
    private static String squad(int readings, String context, String question, String squadText) {
        String text = squadText != null ? squadText : squadCompletion(context, question);
        String completion = strip(text);
        if (readings == 1) {
            return completion;
        }
        return new Readings(question + " ", beforeFirst(context, SQUAD_QUESTION_MARK), completion).render(readings);
    }

    /** The completion prompt built for SQuAD rows that have no harness {@code text}. */
    static String squadCompletion(String context, String question) {
        return strip(context) + "\nQuestion: " + strip(question) + "\nAnswer:";
    }

    /** {@code based_drop}: the context without the question it may end with, a full stop, the question. */
    private static String drop(int readings, String context, String question, String origQuestion) {
        String q = strip(question);
        String c = removeTrailingIgnoreCase(strip(context), q);
        if (readings == 1) {
            return strip(strip(c), '.') + ". " + q;
        }
        String document = strip(strip(strip(c), '.')) + ".";
        return new Readings(strip(origQuestion, ':') + " ", document, document + " " + q).render(readings);
    }

    /** {@code based_triviaqa}: as DROP, after deleting the [PAR]/[DOC]/[TLE] markers; the lead is not stripped. */
    private static String triviaQa(int readings, String context, String question, String origQuestion) {
        String q = strip(question);
        String c = TRIVIAQA_MARKERS.matcher(strip(context)).replaceAll("");
        c = removeTrailingIgnoreCase(c, q);
        if (readings == 1) {
            return strip(strip(c), '.') + ". " + q;
        }
        String document = strip(strip(strip(c), '.')) + ".";
        return new Readings(origQuestion + " ", document, document + " " + q).render(readings);
    }

    /** {@code based_nq_*}: the default removes a trailing question once and case-sensitively; twice is DROP's. */
    private static String nq(int readings, String context, String question, String origQuestion) {
        String q = strip(question);
        if (readings == 1) {
            String c = removeTrailingOnce(strip(context), q);
            return strip(strip(c), '.') + ". " + q;
        }
        return drop(readings, context, question, origQuestion);
    }

    /** Any other data: {@code context + " " + question}; twice {@code question context \n context question}. */
    private static String generic(int readings, String context, String question) {
        String c = strip(context);
        String q = strip(question);
        if (readings == 1) {
            return c + " " + q;
        }
        return new Readings(q + " ", c, c + " " + q).render(readings);
    }
}
