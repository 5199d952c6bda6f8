package io.readtwice.notebook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.lit;

/**
 * Opens the output folders of {@code readtwice run} (local, {@code hdfs://} or {@code s3a://}): the answers as one
 * Dataset with a {@code run} column, and each folder's {@code _readtwice_summary.json}.
 */
public final class Runs {
    public static final String SUMMARY = "_readtwice_summary.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Runs() {
    }

    /** A local session for the notebook (all cores, no UI, loopback), or the one already running. */
    public static SparkSession spark() {
        return SparkSession.builder().master("local[*]").appName("readtwice-notebook")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }

    /** The folders of a comma-separated list, as given (blank entries dropped); at least one. */
    public static List<String> folders(String commaSeparated) {
        List<String> out = new ArrayList<>();
        for (String f : commaSeparated.split(",")) {
            if (!f.isBlank()) {
                out.add(f.strip());
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no run folder given: set READTWICE_RUNS to output folders of "
                    + "`readtwice run`, comma-separated");
        }
        return out;
    }

    /** A run's short name: the last segment of its folder. */
    public static String name(String folder) {
        return new Path(folder).getName();
    }

    /** Every run's rows, with a {@code run} column (its folder's name) first. Columns missing in a run are null. */
    public static Dataset<Row> answers(SparkSession spark, List<String> folders) {
        Dataset<Row> all = null;
        for (String folder : folders) {
            Dataset<Row> rows = spark.read().parquet(folder);
            List<org.apache.spark.sql.Column> columns = new ArrayList<>();
            columns.add(lit(name(folder)).as("run"));
            for (String c : rows.columns()) {
                columns.add(rows.col(c));
            }
            rows = rows.select(columns.toArray(new org.apache.spark.sql.Column[0]));
            all = all == null ? rows : all.unionByName(rows, true);
        }
        return all;
    }

    /** Each folder's summary, by run name in the given order. */
    public static Map<String, JsonNode> summaries(SparkSession spark, List<String> folders) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (String folder : folders) {
            out.put(name(folder), summary(spark, folder));
        }
        return out;
    }

    public static JsonNode summary(SparkSession spark, String folder) {
        Path path = new Path(folder, SUMMARY);
        try {
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            try (InputStream in = fs.open(path)) {
                return JSON.readTree(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + " (is " + folder + " the output folder of a "
                    + "finished `readtwice run`?)", e);
        }
    }

    /** The values of a numeric column, nulls dropped. */
    public static double[] doubles(Dataset<Row> rows, String column) {
        return rows.select(column).collectAsList().stream().filter(r -> !r.isNullAt(0))
                .mapToDouble(r -> ((Number) r.get(0)).doubleValue()).toArray();
    }

    /** The values of a column as strings (null stays null). */
    public static List<String> strings(Dataset<Row> rows, String column) {
        List<String> out = new ArrayList<>();
        for (Row r : rows.select(column).collectAsList()) {
            out.add(r.isNullAt(0) ? null : String.valueOf(r.get(0)));
        }
        return out;
    }
}
