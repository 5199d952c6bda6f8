package io.readtwice.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

/**
 * The output folder: checked before any work, written only through Spark's commit protocol, resumable.
 *
 * <p><b>Layout.</b> Every run, first or resumed, appends Parquet part files named {@code part-NNNNN-<job uuid>…}
 * to the folder itself, so {@code spark.read().parquet(output)} is always the union of what is committed. Next to
 * them: {@value #OPTIONS} (written before the first row; a resume must use the same options), {@code _SUCCESS} and
 * {@value #SUMMARY} (written when a run completes). Names starting with {@code _} are invisible to Spark readers.
 *
 * <p><b>Commit.</b> Parts are written with Hadoop's FileOutputCommitter, algorithm 2: a task writes into its
 * attempt folder under {@code _temporary} and, once the driver's commit coordinator allows it (one attempt per
 * partition, so a speculative or retried duplicate is refused), moves its one file into the folder. So a file in
 * the folder is complete and is the only committed output of its partition; an attempt that failed or was
 * refused leaves nothing but {@code _temporary} debris. Retries of a partition recompute the same rows (the cost
 * ranking is a strict order on unique ids) and commit under the same name. Committed files survive a killed
 * driver, which is what {@code --resume} builds on: it deletes the debris, skips the ids already committed and
 * appends the rest.
 */
final class Outputs {
    static final String SUMMARY = "_readtwice_summary.json";
    static final String OPTIONS = "_readtwice_options.json";
    static final String SUCCESS = "_SUCCESS";
    static final String TEMPORARY = "_temporary";
    /** Algorithm 2: a task's file is moved into the output when the task commits, not when the job does. */
    static final String COMMITTER_ALGORITHM = "mapreduce.fileoutputcommitter.algorithm.version";
    /** AnswerOptions that do not change a row's answer, so a resume may change them. */
    private static final Set<String> EXECUTION_ONLY = Set.of("partitions", "batchTokens", "onError", "backend");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Outputs() {
    }

    /**
     * What --output held when the run started.
     *
     * @param rows       rows already committed (0 for a fresh run)
     * @param nullIdRows of those, rows without an id
     */
    record Committed(long rows, long nullIdRows) {
        static final Committed NONE = new Committed(0, 0);
    }

    /**
     * Fails unless the output can be written, before any work: absent (or --overwrite), not an input, writable;
     * with --resume it may exist, but then it must hold {@value #OPTIONS} with the same answer options.
     */
    static void checkWritable(SparkSession spark, JobOptions o) {
        String output = o.output();
        try {
            Path path = new Path(output);
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            Path qualified = fs.makeQualified(path);
            for (String input : o.inputs()) {
                Path in = new Path(input);
                Path inQualified = in.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(in);
                if (inQualified.equals(qualified)) {
                    throw new ReadTwiceException("--output " + output + " is also an --input; write elsewhere");
                }
            }
            boolean existed = fs.exists(path);
            if (existed && fs.getFileStatus(path).isFile()) {
                throw new ReadTwiceException("--output " + output + " is a file; it must be a folder");
            }
            if (existed && !o.overwrite() && !o.resume()) {
                throw new ReadTwiceException("--output " + output + " already exists; pass --overwrite to replace it, "
                        + "--resume to continue the run that wrote it, or choose another folder");
            }
            if (existed && o.resume()) {
                checkResumable(fs, path, o);
            }
            Path probe = new Path(path, "_readtwice_probe_" + UUID.randomUUID());
            try (FSDataOutputStream out = fs.create(probe, false)) {
                out.write(0);
            }
            fs.delete(probe, false);
            if (!existed) {
                fs.delete(path, true);
            }
        } catch (IOException e) {
            throw new ReadTwiceException("--output " + output + " is not writable: "
                    + Inputs.firstLine(e.getMessage()), e);
        }
    }

    private static void checkResumable(FileSystem fs, Path path, JobOptions o) throws IOException {
        Path optionsFile = new Path(path, OPTIONS);
        if (!fs.exists(optionsFile)) {
            if (hasDataFiles(fs, path)) {
                throw new ReadTwiceException("--output " + path + " holds files but no " + OPTIONS + ", so it was not "
                        + "written by readtwice run and cannot be resumed; choose another folder or --overwrite");
            }
            return;
        }
        JsonNode stored;
        try (FSDataInputStream in = fs.open(optionsFile)) {
            stored = JSON.readTree(in).get("answer_options");
        }
        List<String> changed = new ArrayList<>();
        ObjectNode now = answerOptions(o.answer());
        Iterator<String> names = now.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            JsonNode before = stored == null ? null : stored.get(name);
            if (before == null || !before.equals(now.get(name))) {
                changed.add(optionName(name) + " was " + (before == null ? "unset" : before) + ", now "
                        + now.get(name));
            }
        }
        if (!changed.isEmpty()) {
            throw new ReadTwiceException("--resume needs the options of the run that wrote " + path + ": "
                    + String.join("; ", changed));
        }
    }

    /** The rows already committed in the output (none for a fresh run), after checking their schema. */
    static Committed committed(SparkSession spark, JobOptions o, StructType outputSchema) {
        if (!o.resume()) {
            return Committed.NONE;
        }
        try {
            Path path = new Path(o.output());
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(path) || !hasDataFiles(fs, path)) {
                return Committed.NONE;
            }
        } catch (IOException e) {
            throw new ReadTwiceException("--output " + o.output() + ": cannot list it: " + e.getMessage(), e);
        }
        Dataset<Row> done = spark.read().parquet(o.output());
        List<String> differences = schemaDifferences(done.schema(), outputSchema);
        if (!differences.isEmpty()) {
            throw new ReadTwiceException("--resume: the rows in " + o.output() + " have other columns than this "
                    + "run writes (" + String.join("; ", differences) + "); was the input changed?");
        }
        Row counts = done.agg(count(lit(1)), count(col("id"))).first();
        return new Committed(counts.getLong(0), counts.getLong(0) - counts.getLong(1));
    }

    /** The committed ids, as a one-column Dataset named {@code name}. */
    static Dataset<Row> committedIds(SparkSession spark, String output, String name) {
        return spark.read().parquet(output).select(col("id").as(name));
    }

    /**
     * Right before the answer stage: --overwrite deletes the old folder; a fresh run records its options; a
     * resumed run deletes what an interrupted run left that is not committed output ({@code _temporary}, whose
     * stale task files Hadoop's committer would otherwise pick up) and its completion markers.
     */
    static void begin(SparkSession spark, JobOptions o) {
        try {
            Path path = new Path(o.output());
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (o.overwrite()) {
                fs.delete(path, true);
            }
            if (fs.exists(new Path(path, OPTIONS))) {
                for (String leftover : List.of(TEMPORARY, SUCCESS, SUMMARY)) {
                    fs.delete(new Path(path, leftover), true);
                }
                return;
            }
            ObjectNode root = JSON.createObjectNode();
            root.put("format", 1);
            root.set("answer_options", answerOptions(o.answer()));
            root.put("written_by", "readtwice run; --resume compares answer_options with its own");
            writeText(spark, o.output(), OPTIONS, JSON.writeValueAsString(root));
        } catch (IOException e) {
            throw new ReadTwiceException("--output " + o.output() + " is not writable: " + e.getMessage(), e);
        }
    }

    /** Appends the answers as Parquet through the commit protocol described in the class comment. */
    static void write(Dataset<Row> answers, String output) {
        answers.write().mode(SaveMode.Append).option(COMMITTER_ALGORITHM, "2").parquet(output);
    }

    static void writeText(SparkSession spark, String folder, String name, String text) throws IOException {
        Path path = new Path(folder, name);
        FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
        try (FSDataOutputStream out = fs.create(path, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The options that decide a row's answer, by record component name. */
    static ObjectNode answerOptions(AnswerOptions a) {
        ObjectNode node = JSON.createObjectNode();
        for (RecordComponent c : AnswerOptions.class.getRecordComponents()) {
            if (EXECUTION_ONLY.contains(c.getName())) {
                continue;
            }
            try {
                Object v = c.getAccessor().invoke(a);
                node.set(c.getName(), JSON.valueToTree(v instanceof Enum<?> e ? e.name() : v));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        node.put("backend", a.resolvedBackend());
        return node;
    }

    /** {@code maxNewTokens} → {@code --max-new-tokens}. */
    private static String optionName(String component) {
        return "--" + component.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
    }

    private static boolean hasDataFiles(FileSystem fs, Path folder) throws IOException {
        for (FileStatus f : fs.listStatus(folder)) {
            String name = f.getPath().getName();
            if (!name.startsWith("_") && !name.startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /** Column names and types (nullability aside) that differ. */
    private static List<String> schemaDifferences(StructType found, StructType expected) {
        List<String> out = new ArrayList<>();
        Map<String, String> have = new java.util.LinkedHashMap<>();
        for (StructField f : found.fields()) {
            have.put(f.name(), f.dataType().simpleString());
        }
        for (StructField f : expected.fields()) {
            String type = have.remove(f.name());
            if (type == null) {
                out.add("no column " + f.name());
            } else if (!type.equals(f.dataType().simpleString())) {
                out.add(f.name() + " is " + type + ", not " + f.dataType().simpleString());
            }
        }
        have.keySet().forEach(name -> out.add("extra column " + name));
        return out;
    }
}
