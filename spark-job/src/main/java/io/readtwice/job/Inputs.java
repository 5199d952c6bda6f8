package io.readtwice.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

/** Reads the input table: Parquet, JSON Lines or CSV (with a header), by extension or by --input-format. */
final class Inputs {
    static final Set<String> FORMATS = Set.of("parquet", "json", "csv");
    /**
     * The deepest nesting of values a row may have. Spark infers a JSON schema as deep as the deepest record, and
     * a few hundred levels overflow the stack of the JVM that serializes it (the whole JVM exits); so a JSON line
     * nested deeper is a malformed record (an error row), and a Parquet schema nested deeper is refused.
     */
    static final int MAX_NESTING = 64;

    private Inputs() {
    }

    static Dataset<Row> read(SparkSession spark, List<String> inputs, String format) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        String resolved = format != null ? format : inferFormat(inputs, conf);
        DataFrameReader reader = spark.read().format(resolved);
        if (resolved.equals("csv")) {
            reader = reader.option("header", "true").option("multiLine", "true").option("escape", "\"");
        }
        if (resolved.equals("json")) {
            reader = reader.option("maxNestingDepth", String.valueOf(MAX_NESTING));
        }
        Dataset<Row> input;
        try {
            input = reader.load(inputs.toArray(String[]::new));
        } catch (Exception e) { // also Spark's AnalysisException, checked in Java's eyes
            String hint = resolved.equals("json") && String.valueOf(e.getMessage()).contains("COLUMN_ALREADY_EXISTS")
                    ? " (a JSON record repeats a key, which Spark reads as two columns of one name; remove the "
                    + "repeated key)" : "";
            throw new ReadTwiceException("cannot read --input " + String.join(",", inputs) + " as " + resolved
                    + ": " + firstLine(e.getMessage()) + hint, e);
        }
        for (StructField f : input.schema().fields()) {
            if (depth(f.dataType()) > MAX_NESTING) {
                throw new ReadTwiceException("column '" + f.name() + "' of --input is nested more than " + MAX_NESTING
                        + " levels deep; drop or flatten it first");
            }
        }
        return input;
    }

    /**
     * A 64-bit hash of every column Spark can hash (map-typed columns cannot be, and are left out). Besides breaking
     * ties, it makes a query read every column: Spark's JSON reader parses only the columns a query needs, and a
     * record that is malformed in a column left out gets its id when only the id is read, but a null id (all fields
     * null, the line in _corrupt_record) when every column is. So every query the job makes over such an input
     * includes this hash, and they all see the same rows.
     */
    static Column rowHash(Dataset<Row> input) {
        List<Column> hashable = new ArrayList<>();
        for (StructField f : input.schema().fields()) {
            if (!hasMap(f.dataType())) {
                hashable.add(col("`" + f.name().replace("`", "``") + "`"));
            }
        }
        return hashable.isEmpty() ? lit(0L) : xxhash64(hashable.toArray(Column[]::new));
    }

    private static boolean hasMap(DataType t) {
        if (t instanceof MapType) {
            return true;
        }
        if (t instanceof ArrayType a) {
            return hasMap(a.elementType());
        }
        if (t instanceof StructType s) {
            for (StructField f : s.fields()) {
                if (hasMap(f.dataType())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Levels of arrays, maps and structs in a type (0 for a plain value). */
    static int depth(DataType t) {
        if (t instanceof ArrayType a) {
            return 1 + depth(a.elementType());
        }
        if (t instanceof MapType m) {
            return 1 + Math.max(depth(m.keyType()), depth(m.valueType()));
        }
        if (t instanceof StructType s) {
            int max = 0;
            for (StructField f : s.fields()) {
                max = Math.max(max, depth(f.dataType()));
            }
            return 1 + max;
        }
        return 0;
    }

    /** The one format the inputs' data files have, by extension; errors name the input to fix. */
    static String inferFormat(List<String> inputs, Configuration conf) {
        Set<String> formats = new LinkedHashSet<>();
        for (String input : inputs) {
            for (String file : dataFiles(input, conf)) {
                String f = formatOf(file);
                if (f == null) {
                    throw new ReadTwiceException("cannot tell the format of " + file
                            + " from its extension; pass --input-format parquet, json or csv");
                }
                formats.add(f);
            }
        }
        if (formats.size() > 1) {
            throw new ReadTwiceException("the inputs mix formats " + formats + "; give one format per run");
        }
        return formats.iterator().next();
    }

    static String formatOf(String file) {
        String name = file.toLowerCase(Locale.ROOT).replaceAll("\\.(gz|bz2|zst|snappy|lz4|deflate)$", "");
        if (name.endsWith(".parquet")) {
            return "parquet";
        }
        if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) {
            return "json";
        }
        if (name.endsWith(".csv")) {
            return "csv";
        }
        return null;
    }

    /** A few data files of an input (a file, a folder or a glob); hidden files (_x, .x) are skipped. */
    private static List<String> dataFiles(String input, Configuration conf) {
        List<String> files = new ArrayList<>();
        try {
            Path path = new Path(input);
            FileSystem fs = path.getFileSystem(conf);
            FileStatus[] matches = fs.globStatus(path);
            if (matches == null || matches.length == 0) {
                throw new ReadTwiceException("--input " + input + ": no such file or folder"
                        + (input.matches(".*[*?\\[{].*") ? " matches the pattern" : ""));
            }
            for (FileStatus match : matches) {
                if (match.isFile()) {
                    files.add(match.getPath().getName());
                    continue;
                }
                RemoteIterator<LocatedFileStatus> it = fs.listFiles(match.getPath(), true);
                int seen = 0;
                while (it.hasNext() && seen < 16) {
                    LocatedFileStatus f = it.next();
                    String name = f.getPath().getName();
                    if (!name.startsWith("_") && !name.startsWith(".") && !hiddenParent(f.getPath(), match.getPath())) {
                        files.add(name);
                        seen++;
                    }
                }
                if (seen == 0) {
                    throw new ReadTwiceException("--input " + match.getPath() + " is an empty folder");
                }
            }
        } catch (IOException e) {
            throw new ReadTwiceException("cannot list --input " + input + ": " + e.getMessage(), e);
        }
        return files;
    }

    private static boolean hiddenParent(Path file, Path root) {
        for (Path p = file.getParent(); p != null && !p.equals(root); p = p.getParent()) {
            if (p.getName().startsWith("_") || p.getName().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
