package io.readtwice.notebook;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.dflib.jjava.jupyter.kernel.display.DisplayDataRenderable;
import org.dflib.jjava.jupyter.kernel.display.RenderContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Tables for a notebook cell: {@code display(Tables.of(dataset, 20));} shows the first rows as HTML, with a plain-text
 * copy for consoles and {@code nbconvert --to markdown}. Long strings are cut to {@link #MAX_CELL} characters,
 * doubles shown with at most three decimals.
 */
public final class Tables {
    static final int MAX_CELL = 90;

    private Tables() {
    }

    /** The first {@code maxRows} rows of {@code rows}; says how many more there were. */
    public static Table of(Dataset<Row> rows, int maxRows) {
        List<Row> head = rows.limit(maxRows + 1).collectAsList();
        List<List<Object>> cells = new ArrayList<>();
        for (int i = 0; i < Math.min(maxRows, head.size()); i++) {
            Row r = head.get(i);
            List<Object> line = new ArrayList<>();
            for (int c = 0; c < r.length(); c++) {
                line.add(r.get(c));
            }
            cells.add(line);
        }
        String more = head.size() > maxRows ? "(first " + maxRows + " rows shown)" : null;
        return of(Arrays.asList(rows.columns()), cells, more);
    }

    /** A table from a header and rows of values. */
    public static Table of(List<String> header, List<List<Object>> rows) {
        return of(header, rows, null);
    }

    private static Table of(List<String> header, List<List<Object>> rows, String note) {
        List<List<String>> text = new ArrayList<>();
        for (List<Object> r : rows) {
            List<String> line = new ArrayList<>();
            r.forEach(v -> line.add(format(v)));
            text.add(line);
        }
        int[] width = new int[header.size()];
        for (int c = 0; c < width.length; c++) {
            width[c] = header.get(c).length();
            for (List<String> line : text) {
                width[c] = Math.max(width[c], c < line.size() ? line.get(c).length() : 0);
            }
        }
        StringBuilder plain = new StringBuilder();
        StringBuilder html = new StringBuilder("<table>\n<thead><tr>");
        appendLine(plain, header, width);
        for (String h : header) {
            html.append("<th>").append(escape(h)).append("</th>");
        }
        html.append("</tr></thead>\n<tbody>\n");
        for (List<String> line : text) {
            appendLine(plain, line, width);
            html.append("<tr>");
            for (String v : line) {
                html.append("<td>").append(escape(v)).append("</td>");
            }
            html.append("</tr>\n");
        }
        html.append("</tbody>\n</table>");
        if (rows.isEmpty()) {
            plain.append("(no rows)\n");
            html.append("<p>(no rows)</p>");
        }
        if (note != null) {
            plain.append(note).append('\n');
            html.append("<p>").append(escape(note)).append("</p>");
        }
        return new Table(plain.toString(), html.toString());
    }

    /** A rendered table: HTML for notebooks, aligned text for everything else (and toString). */
    public record Table(String text, String html) implements DisplayDataRenderable {
        @Override
        public void render(RenderContext context) {
            context.getOutputContainer().putText(text);
            context.getOutputContainer().putHTML(html);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    private static void appendLine(StringBuilder sb, List<String> cells, int[] width) {
        for (int c = 0; c < width.length; c++) {
            String v = c < cells.size() ? cells.get(c) : "";
            sb.append(c == 0 ? "" : "  ").append(v).append(" ".repeat(width[c] - v.length()));
        }
        sb.append('\n');
    }

    static String format(Object v) {
        String s;
        if (v == null) {
            s = "null";
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            s = d == Math.rint(d) && Math.abs(d) < 1e15 ? String.format(Locale.ROOT, "%.0f", d)
                    : String.format(Locale.ROOT, "%.3f", d);
        } else if (v instanceof scala.collection.Seq<?> seq) {
            List<String> items = new ArrayList<>();
            for (Object x : scala.jdk.javaapi.CollectionConverters.asJava(seq)) {
                items.add(format(x));
            }
            s = "[" + String.join(", ", items) + "]";
        } else {
            s = String.valueOf(v);
        }
        s = s.replace("\n", "\\n");
        return s.length() > MAX_CELL ? s.substring(0, MAX_CELL - 1) + "…" : s;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
