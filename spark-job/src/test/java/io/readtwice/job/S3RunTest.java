package io.readtwice.job;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringWriter;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Input, output and model on S3: a real S3-compatible server (Adobe S3Mock, started as a child process on
 * loopback) behind s3a://. The executor copies the model from S3 into its local cache once. And the server killed
 * and restarted while the answers are being written: every id is committed exactly once.
 */
class S3RunTest {
    private static final String BUCKET = "it";
    /** A bucket whose S3A client retries for about 20 s, so that it rides out a server restart. */
    private static final String PATIENT = "patient";
    private static Process s3mock;
    private static int port;
    private static SparkSession spark;

    @TempDir
    static java.nio.file.Path tmp;

    @BeforeAll
    static void start() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        startS3Mock();
        spark = SparkSession.builder().master("local[2,4]").appName("readtwice-s3-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:" + port)
                .config("spark.hadoop.fs.s3a.endpoint.region", "us-east-1")
                .config("spark.hadoop.fs.s3a.path.style.access", "true")
                .config("spark.hadoop.fs.s3a.connection.ssl.enabled", "false")
                .config("spark.hadoop.fs.s3a.aws.credentials.provider",
                        "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider")
                .config("spark.hadoop.fs.s3a.access.key", "test")
                .config("spark.hadoop.fs.s3a.secret.key", "test")
                .config("spark.hadoop.fs.s3a.attempts.maximum", "1")
                .config("spark.hadoop.fs.s3a.retry.limit", "1")
                .config("spark.hadoop.fs.s3a.bucket." + PATIENT + ".retry.limit", "40")
                .config("spark.hadoop.fs.s3a.bucket." + PATIENT + ".retry.interval", "500ms")
                .config("spark.hadoop.fs.s3a.bucket." + PATIENT + ".connection.establish.timeout", "2s")
                .getOrCreate();
    }

    /** S3Mock on {@link #port}, keeping its store across restarts. */
    private static void startS3Mock() throws Exception {
        String jar = System.getProperty("s3mock.jar", "target/s3mock/s3mock-exec.jar");
        String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        java.nio.file.Path log = tmp.resolve("s3mock.log");
        s3mock = new ProcessBuilder(javaBin, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", jar,
                "--server.address=127.0.0.1", "--server.port=0",
                "--com.adobe.testing.s3mock.httpPort=" + port,
                "--com.adobe.testing.s3mock.store.initial-buckets=" + BUCKET + "," + PATIENT,
                "--com.adobe.testing.s3mock.store.retain-files-on-exit=true",
                "--com.adobe.testing.s3mock.store.root=" + tmp.resolve("s3"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        waitUntilUp("http://127.0.0.1:" + port + "/");
    }

    private static void waitUntilUp(String url) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!s3mock.isAlive()) {
                throw new IllegalStateException("S3Mock exited: " + Files.readString(tmp.resolve("s3mock.log")));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
                c.setConnectTimeout(500);
                if (c.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("S3Mock did not start within 60 s");
    }

    @AfterAll
    static void stop() throws Exception {
        if (spark != null) {
            spark.stop();
        }
        if (s3mock != null) {
            s3mock.destroy();
            if (!s3mock.waitFor(10, TimeUnit.SECONDS)) {
                s3mock.destroyForcibly();
            }
        }
    }

    @Test
    void inputOutputAndModelOnS3() throws Exception {
        var conf = spark.sparkContext().hadoopConfiguration();
        FileSystem s3 = FileSystem.get(URI.create("s3a://" + BUCKET + "/"), conf);
        java.nio.file.Path local = JobTestSupport.squadSubset(tmp.resolve("squad.jsonl"), 12);
        s3.copyFromLocalFile(new Path(local.toUri()), new Path("s3a://" + BUCKET + "/corpus/squad.jsonl"));
        java.nio.file.Path golden = JobTestSupport.golden("tiny-gpt2-jrt");
        for (String file : List.of("config.json", "model.safetensors")) {
            s3.copyFromLocalFile(new Path(golden.resolve(file).toUri()),
                    new Path("s3a://" + BUCKET + "/models/tiny-gpt2-jrt/" + file));
        }
        System.setProperty("readtwice.model.cache", tmp.resolve("model-cache").toString());

        String output = "s3a://" + BUCKET + "/answers/run1";
        AnswerOptions answer = AnswerOptions.builder().model("s3a://" + BUCKET + "/models/tiny-gpt2-jrt")
                .task("squad").maxNewTokens(3).partitions(2).build();
        JobOptions o = new JobOptions(List.of("s3a://" + BUCKET + "/corpus/"), null, output, false, Map.of(),
                answer, false);
        ReadTwiceJob.run(spark, o, JobTestSupport.console(new StringWriter()));

        List<Row> rows = spark.read().parquet(output).collectAsList();
        assertEquals(12, rows.size());
        assertEquals(12, rows.stream().map(r -> r.<String>getAs("id")).distinct().count());
        assertTrue(rows.stream().allMatch(r -> "ok".equals(r.getAs("status"))));
        assertTrue(s3.exists(new Path(output, "_SUCCESS")));
        try (var in = s3.open(new Path(output, Outputs.SUMMARY))) {
            JsonNode summary = JobTestSupport.JSON.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(12, summary.get("rows").get("ok").asLong());
        }
        // the model was copied from S3 into the local cache once, and loaded from there
        try (var cached = Files.list(tmp.resolve("model-cache"))) {
            List<java.nio.file.Path> dirs = cached.filter(Files::isDirectory).toList();
            assertEquals(1, dirs.size(), dirs.toString());
            assertTrue(Files.size(dirs.get(0).resolve("model.safetensors")) == Files.size(
                    golden.resolve("model.safetensors")));
        }
    }

    @Test
    void theServerKilledAndRestartedDuringTheWriteLosesNoRowAndDuplicatesNone() throws Exception {
        java.nio.file.Path input = JobTestSupport.squadSubset(tmp.resolve("restart.jsonl"), 16);
        String output = "s3a://" + PATIENT + "/answers/restart";
        AnswerOptions answer = AnswerOptions.builder().model(JobTestSupport.golden("tiny-gpt2-jrt").toString())
                .task("squad").maxNewTokens(2).partitions(4).build();
        JobOptions o = new JobOptions(List.of(input.toString()), null, output, false, Map.of(), answer, false);
        FileSystem s3 = FileSystem.get(URI.create("s3a://" + PATIENT + "/"), spark.sparkContext().hadoopConfiguration());

        java.util.concurrent.atomic.AtomicInteger failedTasks = new java.util.concurrent.atomic.AtomicInteger();
        spark.sparkContext().addSparkListener(new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
                if (!end.taskInfo().successful()) {
                    failedTasks.incrementAndGet();
                }
            }
        });
        // each row waits 300 ms, so the answer stage writes for a few seconds; the server dies as it begins
        CompletableFuture<String> job = CompletableFuture.supplyAsync(() -> {
            spark.sparkContext().setLocalProperty(TestFaults.LOCAL_PROPERTY, "rowDelayMs=300");
            try {
                ReadTwiceJob.run(spark, o, JobTestSupport.console(new StringWriter()));
                return "completed";
            } catch (ReadTwiceJob.JobFailedException e) {
                return "failed: " + e.getMessage();
            } finally {
                spark.sparkContext().setLocalProperty(TestFaults.LOCAL_PROPERTY, null);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!s3.exists(new Path(output, Outputs.TEMPORARY))) {
            assertTrue(System.nanoTime() < deadline && !job.isDone(), "the write never started: "
                    + (job.isDone() ? job.get() : "timeout"));
            Thread.sleep(50);
        }
        long killed = System.nanoTime();
        s3mock.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        startS3Mock();
        double downSeconds = (System.nanoTime() - killed) / 1e9;

        String outcome = job.get(4, TimeUnit.MINUTES);
        if (!outcome.equals("completed")) {
            // Spark ran out of attempts while the server was down: what is committed is whole, and --resume ends it
            ReadTwiceJob.run(spark, o.withResume(true), JobTestSupport.console(new StringWriter()));
        }
        System.out.printf("S3RunTest restart: server down %.1f s; %d task attempts failed; the run %s%n",
                downSeconds, failedTasks.get(), outcome);
        List<Row> rows = spark.read().parquet(output).collectAsList();
        List<String> expected = spark.read().json(input.toString()).select("id")
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList().stream().sorted().toList();
        assertEquals(expected, rows.stream().map(r -> r.<String>getAs("id")).sorted().toList(),
                "every id exactly once");
        assertTrue(rows.stream().allMatch(r -> "ok".equals(r.getAs("status"))));
        assertTrue(s3.exists(new Path(output, Outputs.SUCCESS)));
    }
}
