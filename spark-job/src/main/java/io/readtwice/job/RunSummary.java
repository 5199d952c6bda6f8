package io.readtwice.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * What a run did, computed from the Parquet it wrote (so it always agrees with the rows) plus the driver's stage
 * timings and the executors' model loads. Written as {@code _readtwice_summary.json} next to the answers and
 * printed as a table.
 */
public record RunSummary(ObjectNode json) {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Per task and prompt strategy: rows, rows with gold answers, mean metrics over those. */
    public record Accuracy(String task, String strategy, long rows, long scored, Double contains, Double exactMatch,
                           Double f1) {
    }

    private static final Pattern BACKEND_IN_LOAD = Pattern.compile("backend=(\\S+)");

    /**
     * What ran: the requested backend, and for {@code auto} what the executors' model loads resolved it to
     * (e.g. "auto → gpu", "auto → cpu, gpu" for a mixed cluster).
     */
    static String backendRan(String requested, Collection<String> loadRecords) {
        if (!"auto".equals(requested)) {
            return requested;
        }
        TreeSet<String> ran = new TreeSet<>();
        for (String record : loadRecords) {
            Matcher m = BACKEND_IN_LOAD.matcher(record);
            if (m.find()) {
                ran.add(m.group(1));
            }
        }
        return ran.isEmpty() ? requested : requested + " → " + String.join(", ", ran);
    }

    static RunSummary compute(SparkSession spark, JobOptions o, IdCensus census, Outputs.Committed committed,
                              ReadTwice.Plan plan, Map<String, Double> stageSeconds) {
        long rowsIn = census.rows();
        Dataset<Row> out = spark.read().parquet(o.output());
        boolean gold = Arrays.asList(out.columns()).contains("contains");
        Row t = out.agg(count(lit(1)), sum(when(col("status").equalTo(RowCodec.OK), 1).otherwise(0)),
                coalesce(sum(col("prompt_tokens")), lit(0L)), coalesce(sum(col("generated_tokens")), lit(0L)),
                countDistinct(col("id")), sum(when(col("truncated"), 1).otherwise(0)), count(col("id"))).first();
        long rowsOut = t.getLong(0);
        long ok = t.isNullAt(1) ? 0 : t.getLong(1);
        long promptTokens = t.getLong(2);
        long generatedTokens = t.getLong(3);

        ObjectNode root = MAPPER.createObjectNode();
        root.put("model", o.answer().model());
        root.put("backend", backendRan(o.answer().resolvedBackend(), plan.counters().modelLoads()));
        root.put("task", o.answer().task());
        root.put("prompt_strategy", o.answer().strategyLabel());
        ArrayNode inputs = root.putArray("input");
        o.inputs().forEach(inputs::add);
        root.put("output", o.output());

        ObjectNode rows = root.putObject("rows");
        rows.put("in", rowsIn);
        rows.put("out", rowsOut);
        rows.put("ok", ok);
        rows.put("failed", rowsOut - ok);
        rows.put("distinct_ids", t.getLong(4));
        rows.put("truncated", t.isNullAt(5) ? 0 : t.getLong(5));
        rows.put("committed_before", committed.rows());
        rows.put("written_now", rowsOut - committed.rows());
        ObjectNode ids = root.putObject("ids");
        ids.put("in", census.ids());
        ids.put("out", t.getLong(4));
        ids.put("rows_without_id_in", census.nullIdRows());
        ids.put("rows_without_id_out", rowsOut - t.getLong(6));
        ids.put("duplicated_in", census.duplicateIds());
        ids.put("duplicate_policy", o.duplicateIds());
        // the exactly-once check: one output row per input id, and one per row without an id
        ids.put("each_once", t.getLong(6) == t.getLong(4) && t.getLong(4) == census.ids()
                && rowsOut - t.getLong(6) == census.nullIdRows());

        ArrayNode accuracy = root.putArray("accuracy");
        if (gold) {
            List<Row> groups = out.filter(col("status").equalTo(RowCodec.OK))
                    .groupBy(col("task"), col("prompt_strategy"))
                    .agg(count(lit(1)), count(col("contains")), avg(col("contains")), avg(col("exact_match")),
                            avg(col("f1")))
                    .orderBy(col("task"), col("prompt_strategy")).collectAsList();
            for (Row g : groups) {
                ObjectNode a = accuracy.addObject();
                a.put("task", g.getString(0));
                a.put("prompt_strategy", g.getString(1));
                a.put("rows", g.getLong(2));
                a.put("scored", g.getLong(3));
                putNullable(a, "contains", g, 4);
                putNullable(a, "exact_match", g, 5);
                putNullable(a, "f1", g, 6);
            }
        }

        ObjectNode tokens = root.putObject("tokens");
        tokens.put("prompt", promptTokens);
        tokens.put("generated", generatedTokens);
        double answerSeconds = stageSeconds.getOrDefault(ReadTwiceJob.ANSWER_STAGE, 0.0);
        ObjectNode rates = root.putObject("tokens_per_second");
        rates.put("total", rate(promptTokens + generatedTokens, answerSeconds));
        rates.put("prompt", rate(promptTokens, answerSeconds));
        rates.put("generated", rate(generatedTokens, answerSeconds));
        rates.put("rows", rate(rowsOut, answerSeconds));

        ObjectNode wall = root.putObject("wall_seconds");
        double total = 0;
        for (Map.Entry<String, Double> e : stageSeconds.entrySet()) {
            wall.put(e.getKey(), round(e.getValue()));
            total += e.getValue();
        }
        wall.put("total", round(total));
        root.put("generate_seconds_in_tasks", round(plan.counters().generateMillis() / 1000.0));

        ArrayNode loads = root.putArray("model_loads");
        if (!plan.driverLoad().isEmpty()) {
            loads.add(plan.driverLoad());
        }
        plan.counters().modelLoads().stream().sorted().forEach(loads::add);

        ArrayNode errors = root.putArray("errors");
        if (ok < rowsOut) {
            for (Row e : out.filter(col("status").equalTo(RowCodec.ERROR)).groupBy(col("error")).count()
                    .orderBy(col("count").desc(), col("error")).limit(10).collectAsList()) {
                errors.addObject().put("error", e.getString(0)).put("rows", e.getLong(1));
            }
        }

        ObjectNode sparkNode = root.putObject("spark");
        sparkNode.put("master", spark.sparkContext().master());
        sparkNode.put("application_id", spark.sparkContext().applicationId());
        sparkNode.put("version", spark.version());
        return new RunSummary(root);
    }

    public String toJson() {
        try {
            return MAPPER.writeValueAsString(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The summary as a plain-text table for the console. */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        Map<String, String> lines = new LinkedHashMap<>();
        ObjectNode rows = (ObjectNode) json.get("rows");
        lines.put("model", json.get("model").asText() + " (" + json.get("backend").asText() + ")");
        lines.put("task / prompt", json.get("task").asText() + " / " + json.get("prompt_strategy").asText());
        lines.put("rows", String.format(Locale.ROOT, "%d in, %d out, %d ok, %d failed", rows.get("in").asLong(),
                rows.get("out").asLong(), rows.get("ok").asLong(), rows.get("failed").asLong())
                + (rows.get("committed_before").asLong() > 0 ? String.format(Locale.ROOT, " (%d committed before, "
                + "%d written now)", rows.get("committed_before").asLong(), rows.get("written_now").asLong()) : ""));
        JsonNode ids = json.get("ids");
        lines.put("ids", String.format(Locale.ROOT, "%d in, %d out, each once: %s%s", ids.get("in").asLong(),
                ids.get("out").asLong(), ids.get("each_once").asBoolean() ? "yes" : "NO",
                ids.get("duplicated_in").asLong() > 0 ? String.format(Locale.ROOT, " (%d duplicated in the input: "
                        + "error rows)", ids.get("duplicated_in").asLong()) : ""));
        lines.put("tokens", String.format(Locale.ROOT, "%d prompt, %d generated", json.get("tokens").get("prompt")
                .asLong(), json.get("tokens").get("generated").asLong()));
        lines.put("throughput", String.format(Locale.ROOT, "%.0f tokens/s, %.1f rows/s",
                json.get("tokens_per_second").get("total").asDouble(),
                json.get("tokens_per_second").get("rows").asDouble()));
        List<String> stages = new ArrayList<>();
        json.get("wall_seconds").fields().forEachRemaining(e ->
                stages.add(e.getKey() + " " + String.format(Locale.ROOT, "%.1fs", e.getValue().asDouble())));
        lines.put("wall time", String.join(", ", stages));
        List<String> loads = new ArrayList<>();
        json.get("model_loads").forEach(n -> loads.add(n.asText()));
        lines.put("model loads", loads.isEmpty() ? "none" : String.join("; ", loads));
        lines.put("output", json.get("output").asText());
        for (Map.Entry<String, String> e : lines.entrySet()) {
            sb.append(String.format(Locale.ROOT, "  %-14s %s%n", e.getKey(), e.getValue()));
        }
        if (json.get("accuracy").size() > 0) {
            sb.append(String.format(Locale.ROOT, "%n  %-10s %-10s %6s %6s %9s %11s %6s%n", "task", "prompt", "rows",
                    "scored", "contains", "exact_match", "f1"));
            for (var a : json.get("accuracy")) {
                sb.append(String.format(Locale.ROOT, "  %-10s %-10s %6d %6d %9s %11s %6s%n", a.get("task").asText(),
                        a.get("prompt_strategy").asText(), a.get("rows").asLong(), a.get("scored").asLong(),
                        pct(a.get("contains")), pct(a.get("exact_match")), pct(a.get("f1"))));
            }
        }
        if (json.get("errors").size() > 0) {
            sb.append(String.format(Locale.ROOT, "%n  errors (most frequent first):%n"));
            for (var e : json.get("errors")) {
                sb.append(String.format(Locale.ROOT, "  %6d  %s%n", e.get("rows").asLong(), e.get("error").asText()));
            }
        }
        return sb.toString();
    }

    private static String pct(JsonNode n) {
        return n == null || n.isNull() ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * n.asDouble());
    }

    private static void putNullable(ObjectNode node, String name, Row row, int i) {
        if (row.isNullAt(i)) {
            node.putNull(name);
        } else {
            node.put(name, row.getDouble(i));
        }
    }

    private static double rate(long count, double seconds) {
        return seconds <= 0 ? 0 : round(count / seconds);
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
