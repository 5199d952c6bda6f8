package io.readtwice.prompt;

import java.util.Arrays;
import java.util.List;

/**
 * A row's prompt, ready for the model.
 *
 * @param text              the prompt text; after a left truncation, the decoded kept tokens (its first character can
 *                          be U+FFFD when the cut fell inside a character)
 * @param ids               the GPT-2 token ids fed to the model, at most {@code maxLength − maxNewTokens}
 * @param untruncatedTokens the prompt's token count before the left truncation (after any document cut)
 * @param truncations       one human-readable line per thing cut from this row (document cut, prompt truncation);
 *                          empty when the row was used whole
 */
public record PreparedPrompt(String text, int[] ids, int untruncatedTokens, List<String> truncations) {
    public PreparedPrompt {
        truncations = List.copyOf(truncations);
    }

    /** True when anything of the row was cut. */
    public boolean truncated() {
        return !truncations.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PreparedPrompt other && text.equals(other.text) && Arrays.equals(ids, other.ids)
                && untruncatedTokens == other.untruncatedTokens && truncations.equals(other.truncations);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * text.hashCode() + Arrays.hashCode(ids)) + truncations.hashCode();
    }

    @Override
    public String toString() {
        return "PreparedPrompt[" + ids.length + " tokens of " + untruncatedTokens + ", truncations=" + truncations
                + ", text=" + text + "]";
    }
}
