package io.readtwice.notebook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.io.CompressionCodec;
import org.apache.spark.io.LZ4CompressionCodec;
import org.apache.spark.io.LZFCompressionCodec;
import org.apache.spark.io.SnappyCompressionCodec;
import org.apache.spark.io.ZStdCompressionCodec;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tasks of one application from Spark's event log (written with {@code --conf spark.eventLog.enabled=true
 * --conf spark.eventLog.dir=DIR}), one row each: stage, executor, wall and run time, and the job's own accumulators
 * ({@code readtwice.rows}, {@code readtwice.prompt_tokens}, {@code readtwice.generated_tokens},
 * {@code readtwice.generate_ms}), which Spark records per task. Reads single-file and rolling logs
 * ({@code eventlog_v2_APP/events_N_APP}), plain or compressed (zstd, lz4, snappy, lzf).
 */
public final class EventLog {
    public static final StructType TASKS = new StructType()
            .add("stage_id", DataTypes.IntegerType)
            .add("stage", DataTypes.StringType)
            .add("executor", DataTypes.StringType)
            .add("host", DataTypes.StringType)
            .add("seconds", DataTypes.DoubleType)
            .add("run_seconds", DataTypes.DoubleType)
            .add("failed", DataTypes.BooleanType)
            .add("rows", DataTypes.LongType)
            .add("prompt_tokens", DataTypes.LongType)
            .add("generated_tokens", DataTypes.LongType)
            .add("generate_seconds", DataTypes.DoubleType);
    private static final ObjectMapper JSON = new ObjectMapper();

    private EventLog() {
    }

    /** The application's tasks, or empty when {@code dir} has no log for {@code appId}. */
    public static Optional<Dataset<Row>> tasks(SparkSession spark, String dir, String appId) {
        List<Path> files = files(spark, dir, appId);
        if (files.isEmpty()) {
            return Optional.empty();
        }
        Map<Integer, String> stageNames = new HashMap<>();
        List<JsonNode> taskEnds = new ArrayList<>();
        for (Path file : files) {
            read(spark, file, event -> {
                switch (event.path("Event").asText()) {
                    case "SparkListenerStageSubmitted", "SparkListenerStageCompleted" -> {
                        JsonNode stage = event.path("Stage Info");
                        stageNames.put(stage.path("Stage ID").asInt(), stage.path("Stage Name").asText());
                    }
                    case "SparkListenerTaskEnd" -> taskEnds.add(event);
                    default -> {
                    }
                }
            });
        }
        List<Row> rows = new ArrayList<>();
        for (JsonNode end : taskEnds) {
            JsonNode info = end.path("Task Info");
            Map<String, Long> acc = new HashMap<>();
            for (JsonNode a : info.path("Accumulables")) {
                String name = a.path("Name").asText("");
                if (name.startsWith("readtwice.") && a.has("Update")) {
                    acc.put(name, parseLong(a.get("Update")));
                }
            }
            int stage = end.path("Stage ID").asInt();
            rows.add(RowFactory.create(stage, stageNames.getOrDefault(stage, "stage " + stage),
                    info.path("Executor ID").asText(), info.path("Host").asText(),
                    (info.path("Finish Time").asLong() - info.path("Launch Time").asLong()) / 1000.0,
                    end.path("Task Metrics").path("Executor Run Time").asLong() / 1000.0,
                    info.path("Failed").asBoolean(false),
                    acc.getOrDefault("readtwice.rows", 0L), acc.getOrDefault("readtwice.prompt_tokens", 0L),
                    acc.getOrDefault("readtwice.generated_tokens", 0L),
                    acc.getOrDefault("readtwice.generate_ms", 0L) / 1000.0));
        }
        return Optional.of(spark.createDataFrame(rows, TASKS));
    }

    /** The log files of {@code appId} in {@code dir}, in the order they were written. */
    static List<Path> files(SparkSession spark, String dir, String appId) {
        try {
            Path root = new Path(dir);
            FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(root)) {
                return List.of();
            }
            List<Path> out = new ArrayList<>();
            for (FileStatus s : fs.listStatus(root)) {
                String name = s.getPath().getName();
                if (s.isDirectory() && name.equals("eventlog_v2_" + appId)) {
                    List<FileStatus> parts = new ArrayList<>();
                    for (FileStatus p : fs.listStatus(s.getPath())) {
                        if (p.getPath().getName().startsWith("events_")) {
                            parts.add(p);
                        }
                    }
                    parts.sort(Comparator.comparingInt(p -> rollingIndex(p.getPath().getName())));
                    parts.forEach(p -> out.add(p.getPath()));
                } else if (s.isFile() && name.startsWith(appId)) {
                    out.add(s.getPath());
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the event logs in " + dir, e);
        }
    }

    private static int rollingIndex(String name) {
        // events_<N>_<appId>[.codec]
        String[] parts = name.split("_", 3);
        try {
            return Integer.parseInt(parts[1]);
        } catch (RuntimeException e) {
            return Integer.MAX_VALUE;
        }
    }

    private static void read(SparkSession spark, Path file, java.util.function.Consumer<JsonNode> onEvent) {
        try {
            FileSystem fs = file.getFileSystem(spark.sparkContext().hadoopConfiguration());
            InputStream raw = fs.open(file);
            CompressionCodec codec = codec(file.getName().replace(".inprogress", ""));
            try (InputStream in = codec == null ? raw : codec.compressedInputStream(raw);
                 BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (!line.isBlank()) {
                        try {
                            onEvent.accept(JSON.readTree(line));
                        } catch (IOException partial) {
                            // the last line of a log still being written may be cut off
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the event log " + file, e);
        }
    }

    private static CompressionCodec codec(String name) {
        SparkConf conf = new SparkConf(false);
        if (name.endsWith(".zstd")) {
            return new ZStdCompressionCodec(conf);
        } else if (name.endsWith(".lz4")) {
            return new LZ4CompressionCodec(conf);
        } else if (name.endsWith(".snappy")) {
            return new SnappyCompressionCodec(conf);
        } else if (name.endsWith(".lzf")) {
            return new LZFCompressionCodec(conf);
        }
        return null;
    }

    private static long parseLong(JsonNode n) {
        try {
            return n.isNumber() ? n.asLong() : Long.parseLong(n.asText().strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
