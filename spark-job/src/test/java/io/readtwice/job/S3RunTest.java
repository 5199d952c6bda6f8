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
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Input, output and model on S3: a real S3-compatible server (Adobe S3Mock, started as a child process on
 * loopback) behind s3a://. The executor copies the model from S3 into its local cache once.
 */
class S3RunTest {
    private static final String BUCKET = "it";
    private static Process s3mock;
    private static SparkSession spark;

    @TempDir
    static java.nio.file.Path tmp;

    @BeforeAll
    static void start() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String jar = System.getProperty("s3mock.jar", "target/s3mock/s3mock-exec.jar");
        String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        s3mock = new ProcessBuilder(javaBin, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", jar,
                "--server.address=127.0.0.1", "--server.port=0",
                "--com.adobe.testing.s3mock.httpPort=" + port,
                "--com.adobe.testing.s3mock.store.initial-buckets=" + BUCKET,
                "--com.adobe.testing.s3mock.store.root=" + tmp.resolve("s3"))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("s3mock.log").toFile()).start();
        waitUntilUp("http://127.0.0.1:" + port + "/");

        spark = SparkSession.builder().master("local[2]").appName("readtwice-s3-test")
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
                .getOrCreate();
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
            s3mock.waitFor(10, TimeUnit.SECONDS);
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
}
