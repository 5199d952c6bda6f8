package io.readtwice.prompt;

import java.util.Locale;

/**
 * The few Python {@code str} operations the harness templates are written with, with Python's semantics, so the
 * paper's prompts come out character for character. Java's own {@code strip()} differs: Python also strips U+0085,
 * U+00A0, U+2007 and U+202F; and Python slices count code points, not UTF-16 units.
 */
final class PythonStr {
    private PythonStr() {
    }

    /** Python's {@code str.isspace()} for one code point (bidirectional class WS, B or S, or category Zs). */
    static boolean isSpace(int cp) {
        return switch (cp) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029,
                    0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    /** {@code s.strip()}: leading and trailing whitespace removed. */
    static String strip(String s) {
        int start = 0;
        int end = s.length();
        // Every Python space is in the BMP, so char-wise scanning never splits a surrogate pair.
        while (start < end && isSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }

    /** {@code s.strip(c)} for a single character {@code c}. */
    static String strip(String s, char c) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == c) {
            start++;
        }
        while (end > start && s.charAt(end - 1) == c) {
            end--;
        }
        return s.substring(start, end);
    }

    /** {@code s.lower()}. */
    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /**
     * The harness's "remove trailing Q": {@code while text.lower().endswith(q.lower()): text = text[:-len(q)]}, i.e.
     * case-insensitive, repeated, cutting as many code points as {@code q} has. {@code q} must not be empty (the
     * Python loop never ends then).
     */
    static String removeTrailingIgnoreCase(String text, String q) {
        String lowerQ = lower(q);
        int qCodePoints = q.codePointCount(0, q.length());
        while (!text.isEmpty() && lower(text).endsWith(lowerQ)) {
            text = dropLastCodePoints(text, qCodePoints);
        }
        return text;
    }

    /** {@code if text.endswith(q): text = text[:-len(q)]}: case-sensitive, once (NQ's default template). */
    static String removeTrailingOnce(String text, String q) {
        return text.endsWith(q) ? text.substring(0, text.length() - q.length()) : text;
    }

    /** {@code s[:-n]} for n ≥ 1: everything but the last n code points ({@code ""} when s has no more than n). */
    static String dropLastCodePoints(String s, int n) {
        int length = s.codePointCount(0, s.length());
        if (n >= length) {
            return "";
        }
        return s.substring(0, s.offsetByCodePoints(0, length - n));
    }

    /** {@code s[0].upper() + s[1:]}: the first code point upper-cased (it may become several, as ß → SS). */
    static String upperFirst(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int firstLength = Character.charCount(s.codePointAt(0));
        return s.substring(0, firstLength).toUpperCase(Locale.ROOT) + s.substring(firstLength);
    }

    /** {@code s.split(sep)[0]}: the text before the first {@code sep}, or all of it. */
    static String beforeFirst(String s, String sep) {
        int at = s.indexOf(sep);
        return at < 0 ? s : s.substring(0, at);
    }
}
