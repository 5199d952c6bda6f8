package io.readtwice.notebook;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small aggregated Dataset turned into what {@link Chart#bars} draws: categories (the distinct values of one
 * column, in the Dataset's order) × series (of another column, in a given order) → a number. Missing cells are NaN.
 */
public record Pivot(List<String> categories, Map<String, double[]> series) {

    public static Pivot of(Dataset<Row> rows, String category, String series, String value, List<String> order) {
        List<String> categories = new ArrayList<>();
        Map<String, Map<String, Double>> cells = new LinkedHashMap<>();
        for (Row r : rows.select(category, series, value).collectAsList()) {
            String c = String.valueOf(r.get(0));
            if (!categories.contains(c)) {
                categories.add(c);
            }
            if (!r.isNullAt(2)) {
                cells.computeIfAbsent(String.valueOf(r.get(1)), k -> new LinkedHashMap<>())
                        .put(c, ((Number) r.get(2)).doubleValue());
            }
        }
        Map<String, double[]> out = new LinkedHashMap<>();
        for (String s : order) {
            double[] v = new double[categories.size()];
            Arrays.fill(v, Double.NaN);
            Map<String, Double> byCategory = cells.getOrDefault(s, Map.of());
            for (int i = 0; i < v.length; i++) {
                v[i] = byCategory.getOrDefault(categories.get(i), Double.NaN);
            }
            out.put(s, v);
        }
        return new Pivot(List.copyOf(categories), out);
    }

    /** The series with every value multiplied by {@code factor} (e.g. 100 for percentages). */
    public Map<String, double[]> scaled(double factor) {
        Map<String, double[]> out = new LinkedHashMap<>();
        series.forEach((k, v) -> out.put(k, Arrays.stream(v).map(x -> x * factor).toArray()));
        return out;
    }

    /** One cell, NaN when absent. */
    public double value(String category, String seriesName) {
        int i = categories.indexOf(category);
        double[] v = series.get(seriesName);
        return i < 0 || v == null ? Double.NaN : v[i];
    }
}
