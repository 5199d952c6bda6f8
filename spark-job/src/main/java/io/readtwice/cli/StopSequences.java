package io.readtwice.cli;

import java.util.ArrayList;
import java.util.List;

/** The {@code --stop} option of generate and run: repeatable, escapes interpreted, "none" for no stop. */
final class StopSequences {
    /** The value of --stop that turns stop sequences off. */
    static final String NONE = "none";

    private StopSequences() {
    }

    /**
     * The stop sequences the values ask for: the paper's "\n" when there are none, nothing for {@code none}.
     *
     * @throws IllegalArgumentException for {@code none} beside other values, or an empty value
     */
    static List<String> parse(List<String> values) {
        if (values == null || values.isEmpty()) {
            return List.of("\n");
        }
        if (values.contains(NONE)) {
            if (values.size() > 1) {
                throw new IllegalArgumentException("--stop " + NONE + " cannot be combined with other stop sequences");
            }
            return List.of();
        }
        List<String> result = new ArrayList<>(values.size());
        for (String value : values) {
            String stop = unescape(value);
            if (stop.isEmpty()) {
                throw new IllegalArgumentException("--stop must not be empty");
            }
            result.add(stop);
        }
        return result;
    }

    /** Interprets \n, \t, \r and \\ so that {@code --stop '\n'} means a newline; other backslashes stay as typed. */
    static String unescape(String value) {
        StringBuilder sb = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length()) {
                char next = value.charAt(i + 1);
                String replacement = switch (next) {
                    case 'n' -> "\n";
                    case 't' -> "\t";
                    case 'r' -> "\r";
                    case '\\' -> "\\";
                    default -> null;
                };
                if (replacement != null) {
                    sb.append(replacement);
                    i++;
                    continue;
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }
}
