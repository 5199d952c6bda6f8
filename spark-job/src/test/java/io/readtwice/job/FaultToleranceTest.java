package io.readtwice.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.readtwice.answer.EngineFailure;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing lost, nothing twice, on local[2,4] (four attempts per task): the duplicate-id policies, --resume after
 * an interrupted run (committed files kept, attempt debris ignored), a task failing on its first attempt, and the
 * cost layout being a function of the rows. The faults that need separate JVMs (a killed driver, a killed
 * executor, speculation) are in FaultInjectionIT; the S3 server restart is in S3RunTest.
 */
class FaultToleranceTest {
    private static SparkSession spark;
    private static final List<String> FAILED_TASKS = new CopyOnWriteArrayList<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2,4]").appName("readtwice-fault-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.reason() instanceof ExceptionFailure f) {
                    FAILED_TASKS.add(f.className() + ": " + f.description());
                }
            }
        });
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static AnswerOptions.Builder jrt() {
        return AnswerOptions.builder().model(JobTestSupport.golden("tiny-gpt2-jrt").toString()).maxNewTokens(2);
    }

    private static RunSummary run(Path input, Path output, AnswerOptions answer, boolean resume, String duplicates) {
        JobOptions o = new JobOptions(List.of(input.toString()), null, output.toString(), false, Map.of(), answer,
                false, resume, duplicates);
        return ReadTwiceJob.run(spark, o, JobTestSupport.console(new StringWriter()));
    }

    private static Map<String, Row> byId(Path output) {
        List<Row> rows = spark.read().parquet(output.toString()).collectAsList();
        Map<String, Row> out = new TreeMap<>();
        for (Row r : rows) {
            String id = String.valueOf(r.<String>getAs("id"));
            if (!id.equals("null")) {
                assertTrue(out.put(id, r) == null, "id " + id + " twice in " + output);
            }
        }
        return out;
    }

    private static long nullIdRows(Path output) {
        return spark.read().parquet(output.toString()).filter("id is null").count();
    }

    private static List<String> parts(Path output) throws IOException {
        try (Stream<Path> files = Files.list(output)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("part-")).sorted().toList();
        }
    }

    @Test
    void duplicateIdsFailBeforeAnyWorkOrBecomeOneErrorRowPerId() throws IOException {
        Path input = tmp.resolve("dups.jsonl");
        List<String> lines = new ArrayList<>();
        for (String id : List.of("a", "b", "b", "c", "c", "c", "d")) {
            lines.add("{\"id\": \"" + id + "\", \"context\": \"Text " + id + lines.size() + ".\", \"question\": "
                    + "\"What?\"}");
        }
        lines.add("{\"id\": null, \"context\": \"x\", \"question\": \"y\"}");
        lines.add("{\"context\": \"x\", \"question\": \"z\"}");
        Files.write(input, lines, StandardCharsets.UTF_8);

        Path failed = tmp.resolve("dups-fail");
        ReadTwiceException e = assertThrows(ReadTwiceException.class,
                () -> run(input, failed, jrt().build(), false, JobOptions.DUPLICATES_FAIL));
        assertTrue(e.getMessage().startsWith("2 id(s) in column 'id' occur on more than one input row (5 rows), "
                + "e.g. 'c' (3 rows), 'b' (2 rows)"), e.getMessage());
        assertTrue(e.getMessage().contains("--duplicate-ids error"), e.getMessage());
        assertFalse(Files.exists(failed), "nothing written");

        Path output = tmp.resolve("dups-error");
        RunSummary s = run(input, output, jrt().build(), false, JobOptions.DUPLICATES_ERROR);
        Map<String, Row> rows = byId(output);
        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(rows.keySet()));
        assertEquals("ok", rows.get("a").getAs("status"));
        assertEquals("ok", rows.get("d").getAs("status"));
        assertEquals("duplicate id: 2 input rows have this id, so none was answered (--duplicate-ids error)",
                rows.get("b").getAs("error"));
        assertTrue(rows.get("c").<String>getAs("error").startsWith("duplicate id: 3 input rows"));
        assertTrue(rows.get("c").isNullAt(rows.get("c").fieldIndex("question")),
                "the pass-through columns of a duplicated id are null");
        assertEquals(2, nullIdRows(output), "each row without an id is its own error row");
        JsonNode ids = s.json().get("ids");
        assertEquals(2, ids.get("duplicated_in").asLong());
        assertTrue(ids.get("each_once").asBoolean(), ids.toString());
        assertFalse(spark.read().parquet(output.toString()).schema().getFieldIndex(InputColumns.DUPLICATE_ROWS)
                .isDefined(), "the marker column is never written");
    }

    @Test
    void resumeAnswersOnlyWhatIsNotCommittedAndIgnoresAttemptDebris() throws IOException {
        Path input = JobTestSupport.squadSubset(tmp.resolve("in/squad.jsonl"), 22);
        Files.writeString(input, "{\"id\": null, \"context\": \"no id\", \"question\": \"q\"}\n"
                + "{\"context\": \"no id either\", \"question\": \"q\"}\n", java.nio.file.StandardOpenOption.APPEND);
        Path output = tmp.resolve("out");
        AnswerOptions options = jrt().task("squad").partitions(6).build();
        run(input, output, options, false, JobOptions.DUPLICATES_FAIL);
        Map<String, Row> complete = byId(output);
        assertEquals(22, complete.size());
        List<String> parts = parts(output);
        assertEquals(6, parts.size(), parts.toString());
        assertTrue(Files.exists(output.resolve(Outputs.OPTIONS)));

        // an interrupted run: three partitions (0, with the rows without an id, among them) never committed, one
        // of them left as a task attempt's file under _temporary, and no completion markers
        Path attempt = Files.createDirectories(output.resolve("_temporary/0/_temporary/attempt_0_0001_m_000002_0"));
        Files.copy(output.resolve(parts.get(2)), attempt.resolve(parts.get(2)));
        for (int p : new int[]{0, 2, 4}) {
            Files.delete(output.resolve(parts.get(p)));
        }
        for (String name : List.of(Outputs.SUCCESS, Outputs.SUMMARY)) {
            Files.delete(output.resolve(name));
        }
        long kept = spark.read().parquet(output.toString()).count();
        assertEquals(0, nullIdRows(output));

        RunSummary resumed = run(input, output, options.toBuilder().partitions(2).batchTokens(1000).build(), true,
                JobOptions.DUPLICATES_FAIL);
        Map<String, Row> after = byId(output);
        assertEquals(complete.keySet(), after.keySet(), "every id exactly once");
        assertEquals(2, nullIdRows(output), "the rows without an id, once");
        for (Map.Entry<String, Row> e : complete.entrySet()) {
            assertEquals(e.getValue().<String>getAs("generation"), after.get(e.getKey()).getAs("generation"),
                    e.getKey());
        }
        JsonNode rows = resumed.json().get("rows");
        assertEquals(kept, rows.get("committed_before").asLong());
        assertEquals(24 - kept, rows.get("written_now").asLong());
        assertTrue(resumed.json().get("ids").get("each_once").asBoolean());
        assertFalse(Files.exists(output.resolve("_temporary")), "the attempt debris is gone");
        assertTrue(Files.exists(output.resolve(Outputs.SUCCESS)));

        // resuming a complete run writes nothing
        List<String> before = parts(output);
        RunSummary again = run(input, output, options, true, JobOptions.DUPLICATES_FAIL);
        assertEquals(0, again.json().get("rows").get("written_now").asLong());
        assertEquals(before, parts(output));
        assertEquals(24, again.json().get("rows").get("out").asLong());

        // the answers must come from the same options; execution settings may change
        ReadTwiceException changed = assertThrows(ReadTwiceException.class, () -> run(input, output,
                options.toBuilder().maxNewTokens(3).build(), true, JobOptions.DUPLICATES_FAIL));
        assertTrue(changed.getMessage().contains("--max-new-tokens was 2, now 3"), changed.getMessage());
        // a folder not written by readtwice is not resumed
        Path foreign = tmp.resolve("foreign");
        spark.read().json(input.toString()).write().parquet(foreign.toString());
        ReadTwiceException notOurs = assertThrows(ReadTwiceException.class,
                () -> run(input, foreign, options, true, JobOptions.DUPLICATES_FAIL));
        assertTrue(notOurs.getMessage().contains("cannot be resumed"), notOurs.getMessage());
        // a resume of nothing is a fresh run
        Path fresh = tmp.resolve("fresh");
        run(input, fresh, options, true, JobOptions.DUPLICATES_FAIL);
        assertEquals(complete.keySet(), byId(fresh).keySet());
        assertThrows(ReadTwiceException.class, () -> new JobOptions(List.of("x"), null, "y", true, Map.of(),
                options, false, true, JobOptions.DUPLICATES_FAIL).validated());
    }

    @Test
    void aTaskThatFailsOnItsFirstAttemptIsRetriedAndEachRowIsCommittedOnce() {
        Path input = JobTestSupport.squadSubset(tmp.resolve("in/retry.jsonl"), 20);
        Path output = tmp.resolve("retry-out");
        FAILED_TASKS.clear();
        spark.sparkContext().setLocalProperty(TestFaults.LOCAL_PROPERTY, "failFirstAttempt=1");
        try {
            run(input, output, jrt().task("squad").partitions(4).build(), false, JobOptions.DUPLICATES_FAIL);
        } finally {
            spark.sparkContext().setLocalProperty(TestFaults.LOCAL_PROPERTY, null);
        }
        assertEquals(1, FAILED_TASKS.size(), FAILED_TASKS.toString());
        assertTrue(FAILED_TASKS.get(0).startsWith(EngineFailure.class.getName() + ": injected engine failure in "
                + "partition 1, attempt 0"), FAILED_TASKS.get(0));
        Map<String, Row> rows = byId(output);
        assertEquals(20, rows.size());
        assertTrue(rows.values().stream().allMatch(r -> "ok".equals(r.getAs("status"))));
        assertEquals(20, spark.read().parquet(output.toString()).count(), "the failed attempt's row is not there");
    }

    /** The partition of every row depends on the rows only, not on how the input was split or ordered. */
    @Test
    void theCostLayoutIsAFunctionOfTheRows() {
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("id", DataTypes.StringType, true),
                DataTypes.createStructField("context", DataTypes.StringType, true),
                DataTypes.createStructField("question", DataTypes.StringType, true)));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // many equal costs; ids 0..3 occur twice, with different text of the same length
            String id = String.valueOf(i % 36);
            rows.add(RowFactory.create(i % 13 == 5 ? null : id, "c".repeat(10 * (i % 4)) + (char) ('a' + i % 26),
                    "q?"));
        }
        AnswerOptions o = jrt().build();
        InputColumns columns = InputColumns.resolve(schema, o, RowCodec.answerColumnNames());
        Map<String, Integer> first = layout(CostBalancer.spread(spark, spark.createDataFrame(rows, schema), columns,
                o, 5));
        List<Row> shuffled = new ArrayList<>(rows);
        Collections.shuffle(shuffled, new java.util.Random(3));
        Dataset<Row> other = spark.createDataFrame(shuffled, schema).repartition(7);
        assertEquals(first, layout(CostBalancer.spread(spark, other, columns, o, 5)));
        assertTrue(first.entrySet().stream().filter(e -> e.getKey().startsWith("null/"))
                .allMatch(e -> e.getValue() == 0), "rows without an id all go to partition 0");
    }

    /** Row (id + context) → partition. */
    private static Map<String, Integer> layout(Dataset<Row> spread) {
        List<String> pairs = spread.javaRDD().mapPartitionsWithIndex((index, it) -> {
            List<String> out = new ArrayList<>();
            it.forEachRemaining(r -> out.add(r.getString(0) + "/" + r.getString(1) + "=" + index));
            return out.iterator();
        }, false).collect();
        Map<String, Integer> map = new HashMap<>();
        for (String p : pairs) {
            int eq = p.lastIndexOf('=');
            map.merge(p.substring(0, eq), Integer.parseInt(p.substring(eq + 1)), (a, b) -> a.equals(b) ? a : -1);
        }
        assertFalse(map.containsValue(-1), "identical rows land together");
        return map.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }
}
