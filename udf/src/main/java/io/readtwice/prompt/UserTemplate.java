package io.readtwice.prompt;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A prompt template written by the user: literal text with named placeholders, e.g.
 * {@code {question} {context}\n{context} {question}:}.
 *
 * <ul>
 *   <li>{@code {name}} is replaced by the row's field {@code name}, verbatim (no stripping). The name is any text
 *       without braces, backslashes or line breaks, with no space at either end; {@code context} and
 *       {@code question} are the job's logical fields, any other name is an input column.</li>
 *   <li>{@code {{} and {@code }}} stand for literal braces.</li>
 *   <li>{@code \n}, {@code \t}, {@code \r} and {@code \\} stand for a line feed, tab, carriage return and backslash,
 *       so a one-line command-line argument can hold a multi-line prompt. Any other backslash sequence is an
 *       error.</li>
 * </ul>
 * Parsing checks the whole syntax up front; every error names the position (0-based character offset).
 */
final class UserTemplate implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Literal text, or a placeholder when {@code field} is true. */
    private record Part(String text, boolean field) implements Serializable {
    }

    private final List<Part> parts;
    private final Set<String> fields;
    private final int literalLength;

    private UserTemplate(List<Part> parts) {
        this.parts = List.copyOf(parts);
        Set<String> names = new LinkedHashSet<>();
        int length = 0;
        for (Part part : parts) {
            if (part.field) {
                names.add(part.text);
            } else {
                length += part.text.length();
            }
        }
        this.fields = Collections.unmodifiableSet(names);
        this.literalLength = length;
    }

    /** Parses a template; an {@link IllegalArgumentException} names the first syntax error and where it is. */
    static UserTemplate parse(String template) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c == '{' && i + 1 < template.length() && template.charAt(i + 1) == '{') {
                literal.append('{');
                i += 2;
            } else if (c == '}') {
                if (i + 1 < template.length() && template.charAt(i + 1) == '}') {
                    literal.append('}');
                    i += 2;
                } else {
                    throw error(template, i, "'}' without a matching '{' (write }} for a literal brace)");
                }
            } else if (c == '{') {
                int close = template.indexOf('}', i + 1);
                if (close < 0) {
                    throw error(template, i, "'{' is never closed (write {{ for a literal brace)");
                }
                String name = template.substring(i + 1, close);
                checkName(template, i, name);
                if (literal.length() > 0) {
                    parts.add(new Part(literal.toString(), false));
                    literal.setLength(0);
                }
                parts.add(new Part(name, true));
                i = close + 1;
            } else if (c == '\\') {
                if (i + 1 >= template.length()) {
                    throw error(template, i, "the template ends with a lone backslash (write \\\\ for one)");
                }
                char next = template.charAt(i + 1);
                literal.append(switch (next) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    case 'r' -> '\r';
                    case '\\' -> '\\';
                    default -> throw error(template, i, "unknown escape \\" + next
                            + " (the escapes are \\n, \\t, \\r and \\\\)");
                });
                i += 2;
            } else {
                literal.append(c);
                i++;
            }
        }
        if (literal.length() > 0) {
            parts.add(new Part(literal.toString(), false));
        }
        return new UserTemplate(parts);
    }

    private static void checkName(String template, int at, String name) {
        if (name.isEmpty()) {
            throw error(template, at, "empty placeholder {} (name a field, e.g. {context})");
        }
        if (name.indexOf('{') >= 0) {
            throw error(template, at, "'{' inside a placeholder (write {{ for a literal brace)");
        }
        if (name.indexOf('\\') >= 0 || name.indexOf('\n') >= 0 || name.indexOf('\r') >= 0) {
            throw error(template, at, "placeholder {" + name + "} has a backslash or line break in its name");
        }
        if (!PythonStr.strip(name).equals(name)) {
            throw error(template, at, "placeholder {" + name + "} has spaces around its name");
        }
    }

    private static IllegalArgumentException error(String template, int at, String what) {
        return new IllegalArgumentException("bad prompt template at character " + at + ": " + what);
    }

    /** The placeholders' names, in order of first appearance. */
    Set<String> fields() {
        return fields;
    }

    /**
     * The prompt for one row. Every placeholder must have a non-null value ({@link PromptException} otherwise);
     * {@code overrides} are used instead of {@code row} for the names they hold (the cut document).
     */
    String render(Map<String, String> row, Map<String, String> overrides) {
        StringBuilder out = new StringBuilder(literalLength + 256);
        for (Part part : parts) {
            if (!part.field) {
                out.append(part.text);
                continue;
            }
            String value = overrides.containsKey(part.text) ? overrides.get(part.text) : row.get(part.text);
            if (value == null) {
                throw new PromptException("field '" + part.text + "' (used by the prompt template) is "
                        + (row.containsKey(part.text) ? "null" : "missing"));
            }
            out.append(value);
        }
        return out.toString();
    }
}
