package io.readtwice.job;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Faults that need JVMs of their own, each followed by the check that the committed output holds every input id
 * exactly once: a task that fails on its first attempt while speculative execution runs a copy of a slow one, and
 * an executor JVM killed with SIGKILL in the middle of the answer stage (both on {@link TestCluster}), and the
 * driver killed with SIGKILL mid-run, then {@code --resume}. The faults come from the test-only hook
 * {@code spark.readtwice.test.fault} ({@link TestFaults}); Spark's event log tells what the scheduler did.
 */
@ExtendWith(TestCluster.Extension.class)
class FaultInjectionIT {
    private static final int ROWS = 24;

    @TempDir
    static Path tmp;

    private static TestCluster cluster;
    private static SparkSession spark;
    private static Path input;

    @BeforeAll
    static void start(TestCluster shared) {
        cluster = shared;
        input = JobTestSupport.squadSubset(tmp.resolve("in/squad.jsonl"), ROWS);
        spark = JobTestSupport.session();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static List<String> runArgs(Path output, String... more) {
        List<String> args = new ArrayList<>(List.of("run", "--input", input.toString(), "--output",
                output.toString(), "--model", JobTestSupport.golden("tiny-gpt2-jrt").toString(), "--task", "squad",
                "--max-new-tokens", "2", "--quiet"));
        args.addAll(List.of(more));
        return args;
    }

    /** Event log settings: one uncompressed JSON file per application in {@code dir}. */
    private static Map<String, String> eventLog(Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("spark.eventLog.enabled", "true");
        conf.put("spark.eventLog.dir", dir.toUri().toString());
        conf.put("spark.eventLog.compress", "false");
        conf.put("spark.eventLog.rolling.enabled", "false");
        return conf;
    }

    private static List<JsonNode> events(Path dir) throws IOException {
        List<JsonNode> events = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                for (String line : Files.readAllLines(f)) {
                    events.add(JobTestSupport.JSON.readTree(line));
                }
            }
        }
        return events;
    }

    /** What the scheduler did: task ends by reason, speculative launches, executors removed. */
    private static String schedulerReport(List<JsonNode> events) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        for (JsonNode e : events) {
            switch (e.path("Event").asText()) {
                case "SparkListenerTaskEnd" -> counts.merge("task end " + e.path("Task End Reason").path("Reason")
                        .asText(), 1, Integer::sum);
                case "SparkListenerTaskStart" -> {
                    if (e.path("Task Info").path("Speculative").asBoolean()) {
                        counts.merge("speculative task start", 1, Integer::sum);
                    }
                }
                case "SparkListenerExecutorRemoved" -> counts.merge("executor removed", 1, Integer::sum);
                case "SparkListenerExecutorAdded" -> counts.merge("executor added", 1, Integer::sum);
                case "SparkListenerStageSubmitted" -> counts.merge("stage attempts", 1, Integer::sum);
                default -> {
                }
            }
        }
        return counts.toString();
    }

    private static int finish(Process app, Path log) throws InterruptedException {
        try {
            if (!app.waitFor(4, TimeUnit.MINUTES)) {
                fail("the run did not finish in 4 minutes:\n" + TestCluster.tail(log, 4000));
            }
            return app.exitValue();
        } finally {
            TestCluster.stop(app);
        }
    }

    /** Every input id exactly once in the committed output, each row answered. */
    private static void assertEachIdOnce(Path output) {
        List<Row> rows = spark.read().parquet(output.toString()).collectAsList();
        Map<String, Integer> seen = new HashMap<>();
        rows.forEach(r -> seen.merge(r.getAs("id"), 1, Integer::sum));
        List<String> expected = spark.read().json(input.toString()).select("id").as(
                org.apache.spark.sql.Encoders.STRING()).collectAsList();
        assertEquals(ROWS, expected.size());
        assertEquals(ROWS, rows.size(), "rows: " + seen);
        for (String id : expected) {
            assertEquals(1, seen.getOrDefault(id, 0), "id " + id);
        }
        assertTrue(rows.stream().allMatch(r -> "ok".equals(r.getAs("status"))));
        assertTrue(JobTestSupport.summary(output).get("ids").get("each_once").asBoolean());
    }

    @Test
    void aFirstAttemptThatFailsAndASlowOneSpeculatedCommitEachRowOnce() throws Exception {
        Path output = tmp.resolve("speculation-out");
        Path events = tmp.resolve("events-speculation");
        Map<String, String> conf = eventLog(events);
        // partition 2's first attempt throws an engine failure after one row; partition 1's first attempt waits
        // 20 s, long enough for the scheduler to start a copy on the other host, which commits first
        conf.put(TestFaults.CONF, "failFirstAttempt=2,slowFirstAttempt=1:20000");
        conf.put("spark.speculation", "true");
        conf.put("spark.speculation.interval", "100ms");
        conf.put("spark.speculation.multiplier", "1.5");
        conf.put("spark.speculation.quantile", "0.5");
        conf.put("spark.speculation.minTaskRuntime", "500ms");
        Path log = tmp.resolve("speculation.log");
        int exit = finish(cluster.submit(log, conf, runArgs(output, "--partitions", "6")), log);
        assertEquals(0, exit, TestCluster.tail(log, 6000));
        assertEachIdOnce(output);

        boolean speculative = false;
        int engineFailures = 0;
        int executorsRemoved = 0;
        System.out.println("FaultInjectionIT speculation: " + schedulerReport(events(events)));
        for (JsonNode e : events(events)) {
            String event = e.path("Event").asText();
            if (event.equals("SparkListenerTaskStart") && e.path("Task Info").path("Speculative").asBoolean()) {
                speculative = true;
            }
            JsonNode reason = e.path("Task End Reason");
            if (event.equals("SparkListenerTaskEnd") && reason.path("Reason").asText().equals("ExceptionFailure")
                    && reason.path("Class Name").asText().equals("io.readtwice.answer.EngineFailure")) {
                engineFailures++;
            }
            if (event.equals("SparkListenerExecutorRemoved")) {
                executorsRemoved++;
            }
        }
        assertTrue(speculative, "a speculative copy of the slow task ran");
        assertEquals(1, engineFailures, "the injected engine failure failed one task attempt");
        assertEquals(0, executorsRemoved, "an engine failure fails the task, not the executor JVM");
    }

    @Test
    void anExecutorKilledMidRunLosesNoRowAndDuplicatesNone() throws Exception {
        Path output = tmp.resolve("executor-kill-out");
        Path events = tmp.resolve("events-executor-kill");
        Map<String, String> conf = eventLog(events);
        conf.put(TestFaults.CONF, "rowDelayMs=400");
        Path log = tmp.resolve("executor-kill.log");
        Process app = cluster.submit(log, conf, runArgs(output, "--partitions", "8"));
        try {
            // once an executor is answering (it logs its model load), kill its JVM with SIGKILL
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            ProcessHandle victim = null;
            while (victim == null) {
                if (System.nanoTime() > deadline || !app.isAlive()) {
                    fail("no executor started answering:\n" + TestCluster.tail(log, 4000));
                }
                for (int w = 0; w < TestCluster.HOSTS.size() && victim == null; w++) {
                    for (ProcessHandle executor : cluster.executors(w)) {
                        if (answering(cluster.workDir(w), executor)) {
                            victim = executor;
                        }
                    }
                }
                Thread.sleep(100);
            }
            assertTrue(victim.destroyForcibly());
        } catch (Exception | AssertionError e) {
            TestCluster.stop(app);
            throw e;
        }
        assertEquals(0, finish(app, log), TestCluster.tail(log, 6000));
        assertEachIdOnce(output);
        List<JsonNode> scheduler = events(events);
        System.out.println("FaultInjectionIT executor kill: " + schedulerReport(scheduler));
        assertTrue(scheduler.stream().anyMatch(e -> e.path("Event").asText().equals("SparkListenerExecutorRemoved")),
                "the driver saw the executor go");
        assertTrue(scheduler.stream().anyMatch(e -> e.path("Task End Reason").path("Reason").asText()
                .equals("ExecutorLostFailure")), "the kill hit a running task");
    }

    /**
     * Whether the executor has logged loading the model, which its first task of the answer stage does: it is
     * answering. Its log is {@code <work dir>/<app id>/<executor id>/stderr}.
     */
    private static boolean answering(Path workDir, ProcessHandle executor) throws IOException {
        List<String> args = List.of(executor.info().arguments().orElse(new String[0]));
        int app = args.indexOf("--app-id");
        int id = args.indexOf("--executor-id");
        if (app < 0 || id < 0) {
            return false;
        }
        return TestCluster.count(workDir.resolve(args.get(app + 1)).resolve(args.get(id + 1)).resolve("stderr"),
                "readtwice: loaded model") > 0;
    }

    @Test
    void aDriverKilledMidRunThenResumedCommitsEachRowOnce() throws Exception {
        Path output = tmp.resolve("driver-kill-out");
        Path log = tmp.resolve("driver-kill.log");
        List<String> args = runArgs(output, "--partitions", "8", "--conf", "spark.master=local[2]",
                "--conf", "spark.ui.enabled=false", "--conf", TestFaults.CONF + "=rowDelayMs=250");
        Process driver = cluster.cli(log, args);
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (parts(output) == 0) {
                if (System.nanoTime() > deadline || !driver.isAlive()) {
                    fail("no part file was committed:\n" + TestCluster.tail(log, 4000));
                }
                Thread.sleep(50);
            }
            driver.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no shutdown hook, no cleanup
        } finally {
            TestCluster.stop(driver);
        }
        assertFalse(Files.exists(output.resolve(Outputs.SUCCESS)), "killed before the end");
        long committed = spark.read().parquet(output.toString()).count();
        System.out.println("FaultInjectionIT driver kill: " + committed + " of " + ROWS + " rows committed in "
                + parts(output) + " part files at the kill");
        assertTrue(committed > 0 && committed < ROWS, committed + " rows committed");
        assertEquals(committed, spark.read().parquet(output.toString()).select("id").distinct().count());

        Path resumeLog = tmp.resolve("driver-kill-resume.log");
        List<String> resume = runArgs(output, "--resume", "--conf", "spark.master=local[2]",
                "--conf", "spark.ui.enabled=false");
        assertEquals(0, finish(cluster.cli(resumeLog, resume), resumeLog), TestCluster.tail(resumeLog, 6000));
        assertEachIdOnce(output);
        JsonNode rows = JobTestSupport.summary(output).get("rows");
        assertEquals(committed, rows.get("committed_before").asLong());
        assertEquals(ROWS - committed, rows.get("written_now").asLong());
    }

    private static long parts(Path output) throws IOException {
        if (!Files.isDirectory(output)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(output)) {
            return files.filter(p -> p.getFileName().toString().startsWith("part-")).count();
        }
    }
}
