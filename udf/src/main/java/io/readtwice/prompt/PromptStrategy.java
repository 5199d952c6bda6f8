package io.readtwice.prompt;

import java.io.Serializable;
import java.util.Locale;

/**
 * How many times the prompt reads the document: {@code default} once, {@code twice} twice (JRT-Prompt, the paper's
 * method), {@code repeat:N} N times.
 *
 * <p>The twice templates of every task have the shape {@code lead + reading + "\n" + lastReading}: the lead puts the
 * question (or the attribute) first, {@code reading} is the document, {@code lastReading} the document followed by the
 * question, as in the default prompt. {@code repeat:N} (N ≥ 2) writes {@code reading + "\n"} N − 1 times:
 * {@code lead + (reading + "\n") × (N − 1) + lastReading}, so {@code repeat:2} is exactly {@code twice}. {@code
 * repeat:1} is {@code default}, the task's single-reading template (which has no lead).
 *
 * @param readings how many times the document appears in the prompt, 1..{@value #MAX_READINGS}
 */
public record PromptStrategy(int readings) implements Serializable {
    /** Upper bound for N: prompts are left-truncated to max-length anyway, and N copies are built before that. */
    public static final int MAX_READINGS = 32;

    public static final PromptStrategy DEFAULT = new PromptStrategy(1);
    public static final PromptStrategy TWICE = new PromptStrategy(2);

    private static final String REPEAT_PREFIX = "repeat:";

    public PromptStrategy {
        if (readings < 1 || readings > MAX_READINGS) {
            throw new IllegalArgumentException("a prompt strategy reads the document 1.." + MAX_READINGS
                    + " times, got " + readings);
        }
    }

    /** {@code "default"}, {@code "twice"} or {@code "repeat:N"} (N from 1 to 32), case-insensitive. */
    public static PromptStrategy parse(String s) {
        String text = s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
        if (text.equals("default")) {
            return DEFAULT;
        }
        if (text.equals("twice")) {
            return TWICE;
        }
        if (text.startsWith(REPEAT_PREFIX)) {
            String count = text.substring(REPEAT_PREFIX.length());
            if (count.matches("[0-9]{1,9}")) {
                int n = Integer.parseInt(count);
                if (n >= 1 && n <= MAX_READINGS) {
                    return new PromptStrategy(n);
                }
            }
            throw new IllegalArgumentException("bad prompt strategy '" + s + "': repeat:N needs a whole N from 1 to "
                    + MAX_READINGS);
        }
        throw new IllegalArgumentException("unknown prompt strategy '" + s
                + "' (expected default, twice or repeat:N)");
    }

    /** The canonical name: {@code "default"} for 1 reading, {@code "twice"} for 2, else {@code "repeat:N"}. */
    public String label() {
        return switch (readings) {
            case 1 -> "default";
            case 2 -> "twice";
            default -> REPEAT_PREFIX + readings;
        };
    }

    @Override
    public String toString() {
        return label();
    }
}
