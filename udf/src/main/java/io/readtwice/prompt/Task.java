package io.readtwice.prompt;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What the rows are: one of the six benchmarks of the paper's JRT-Prompt evaluation (the reference harness's
 * {@code based_*} tasks, model-spec §7), whose templates, cleaning rules and answer search are reproduced exactly, or
 * {@link #GENERIC} for any other question/document pairs.
 *
 * <p>Field convention ({@link PromptFields}): {@code context} is the document and {@code question} what is asked. For
 * FDA and SWDE the document is the dataset's {@code text} and the question its attribute {@code key}.
 */
public enum Task {
    /** {@code based_fda}: FDA device documents, question = attribute key. */
    FDA,
    /** {@code based_swde}: web pages, question = attribute key. */
    SWDE,
    /** {@code based_squad}: SQuAD paragraphs; the harness's completion prompt comes from an optional {@code text} field. */
    SQUAD,
    /** {@code based_triviaqa}. */
    TRIVIAQA,
    /** {@code based_drop}. */
    DROP,
    /** {@code based_nq_*} (Natural Questions). */
    NQ,
    /** Any other data: the document then the question, with no dataset-specific cleaning. */
    GENERIC;

    /** The lower-case name used on the command line and in output, e.g. {@code "squad"}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a {@link #label()} (case-insensitive). */
    public static Task parse(String name) {
        if (name != null) {
            for (Task task : values()) {
                if (task.label().equalsIgnoreCase(name.strip())) {
                    return task;
                }
            }
        }
        throw new IllegalArgumentException("unknown task '" + name + "' (expected one of: "
                + Arrays.stream(values()).map(Task::label).collect(Collectors.joining(", ")) + ")");
    }
}
