package io.readtwice.prompt;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the document is cut to a token budget before the template is applied ({@link PromptOptions#contextTokens()}).
 * Whatever the cut, the whole prompt is still left-truncated to {@code maxLength − maxNewTokens} tokens afterwards.
 */
public enum ContextCut {
    /** The document is used whole. */
    NONE("none"),
    /** Keep the document's first budget tokens (only when it is longer). */
    HEAD("head"),
    /** Keep the document's last budget tokens (only when it is longer). */
    TAIL("tail"),
    /**
     * The reference harness's {@code --cutting_context} (model-spec §6.3): a window of budget tokens centred on where
     * the gold answer occurs. It looks at the gold answer, so it exists only to reproduce the paper's tables; it is
     * not a way to answer questions about new documents.
     */
    AROUND_ANSWER("around-answer");

    private final String label;

    ContextCut(String label) {
        this.label = label;
    }

    /** The command-line name: {@code none}, {@code head}, {@code tail} or {@code around-answer}. */
    public String label() {
        return label;
    }

    /** Parses a {@link #label()} (case-insensitive; {@code around_answer} is accepted too). */
    public static ContextCut parse(String name) {
        String text = name == null ? "" : name.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        for (ContextCut cut : values()) {
            if (cut.label.equals(text)) {
                return cut;
            }
        }
        throw new IllegalArgumentException("unknown context cut '" + name + "' (expected one of: "
                + Arrays.stream(values()).map(ContextCut::label).collect(Collectors.joining(", ")) + ")");
    }
}
