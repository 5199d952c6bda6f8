package io.readtwice.job;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Spark standalone cluster on 127.0.0.1: a master and two one-core workers started from the Maven
 * classpath (a temporary SPARK_HOME whose jars/ links every jar), the shaded jar submitted with SparkSubmit. Each
 * executor JVM loads the model itself, and the answers equal a local run's.
 */
class StandaloneClusterIT {
    @TempDir
    static Path tmp;

    private static Path sparkHome;
    private static final List<Process> DAEMONS = new ArrayList<>();
    private static int masterPort;

    @BeforeAll
    static void startCluster() throws Exception {
        sparkHome = tmp.resolve("spark-home");
        Path jars = Files.createDirectories(sparkHome.resolve("jars"));
        String classpath = Files.readString(Path.of(System.getProperty("readtwice.spark.classpath",
                "target/spark-classpath.txt"))).strip();
        for (String entry : classpath.split(java.io.File.pathSeparator)) {
            Path jar = Path.of(entry);
            Path link = jars.resolve(jar.getFileName());
            if (entry.endsWith(".jar") && !Files.exists(link)) {
                Files.createSymbolicLink(link, jar);
            }
        }
        masterPort = freePort();
        Path masterLog = tmp.resolve("master.log");
        DAEMONS.add(daemon(masterLog, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                "--port", String.valueOf(masterPort), "--webui-port", String.valueOf(freePort())));
        for (int w = 0; w < 2; w++) {
            DAEMONS.add(daemon(tmp.resolve("worker" + w + ".log"), "org.apache.spark.deploy.worker.Worker",
                    "--host", "127.0.0.1", "--cores", "1", "--memory", "1g", "--webui-port", String.valueOf(freePort()),
                    "--work-dir", tmp.resolve("work" + w).toString(), "spark://127.0.0.1:" + masterPort));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (count(masterLog, "Registering worker") < 2) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the workers did not register:\n" + Files.readString(masterLog));
            }
            Thread.sleep(250);
        }
    }

    @AfterAll
    static void stopCluster() throws InterruptedException {
        for (Process p : DAEMONS) {
            p.destroy();
        }
        for (Process p : DAEMONS) {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void theShadedJarOnTwoExecutorsAnswersAsALocalRunDoes() throws Exception {
        Path input = JobTestSupport.squadSubset(tmp.resolve("in/squad.jsonl"), 16);
        Path model = JobTestSupport.golden("tiny-gpt2-jrt");
        Path clusterOut = tmp.resolve("cluster-out");
        List<String> runArgs = List.of("run", "--input", input.toString(), "--model", model.toString(),
                "--task", "squad", "--strategy", "twice", "--max-new-tokens", "3", "--partitions", "4", "--logprobs",
                "2", "--quiet");

        List<String> submit = new ArrayList<>(List.of("org.apache.spark.deploy.SparkSubmit",
                "--master", "spark://127.0.0.1:" + masterPort,
                "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.executor.memory=512m",
                "--conf", "spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector",
                "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=60s",
                "--class", "io.readtwice.cli.ReadTwiceCli",
                System.getProperty("readtwice.jar")));
        submit.addAll(runArgs);
        submit.addAll(List.of("--output", clusterOut.toString()));
        Path submitLog = tmp.resolve("submit.log");
        Process app = java(submitLog, "-Xmx1g", submit);
        assertTrue(app.waitFor(5, TimeUnit.MINUTES), "spark-submit did not finish in 5 minutes");
        assertEquals(0, app.exitValue(), Files.readString(submitLog));

        // each executor JVM loaded the model itself: two load records with different pids
        JsonNode summary = JobTestSupport.summary(clusterOut);
        Set<String> pids = new HashSet<>();
        Pattern executorLoad = Pattern.compile("executor=(\\d+) host=\\S+ pid=(\\d+)");
        for (JsonNode load : summary.get("model_loads")) {
            Matcher m = executorLoad.matcher(load.asText());
            if (m.find()) {
                pids.add(m.group(2));
            }
        }
        assertEquals(2, pids.size(), "model loads: " + summary.get("model_loads"));
        assertTrue(summary.get("spark").get("master").asText().startsWith("spark://"));

        // the same run on local[2] in this JVM gives the same rows
        Path localOut = tmp.resolve("local-out");
        SparkSession spark = JobTestSupport.session();
        try {
            AnswerOptions answer = AnswerOptions.builder().model(model.toString()).task("squad").strategy("twice")
                    .maxNewTokens(3).partitions(4).logprobs(2).build();
            ReadTwiceJob.run(spark, new JobOptions(List.of(input.toString()), null, localOut.toString(), false,
                    Map.of(), answer, false), JobTestSupport.console(new StringWriter()));
            List<Row> local = spark.read().parquet(localOut.toString()).orderBy("id").collectAsList();
            List<Row> cluster = spark.read().parquet(clusterOut.toString()).orderBy("id").collectAsList();
            assertEquals(16, cluster.size());
            assertEquals(local.size(), cluster.size());
            for (int i = 0; i < local.size(); i++) {
                assertSameAnswer(local.get(i), cluster.get(i));
            }
        } finally {
            spark.stop();
        }
    }

    /**
     * Every column equal; log-probabilities to 1e-5, since the Vector API's float reductions may add in a different
     * order once the JIT has compiled them, which moves the last bits of a logit.
     */
    private static void assertSameAnswer(Row local, Row cluster) {
        assertEquals(List.of(local.schema().fieldNames()), List.of(cluster.schema().fieldNames()));
        String id = local.getAs("id");
        for (String column : local.schema().fieldNames()) {
            Object a = local.getAs(column);
            Object b = cluster.getAs(column);
            if (column.equals("token_logprobs")) {
                List<Float> x = local.getList(local.fieldIndex(column));
                List<Float> y = cluster.getList(cluster.fieldIndex(column));
                assertEquals(x.size(), y.size(), id);
                for (int k = 0; k < x.size(); k++) {
                    assertEquals(x.get(k), y.get(k), 1e-5, id + " " + column + "[" + k + "]");
                }
            } else if (column.equals("top_logprobs")) {
                List<Object> x = local.getList(local.fieldIndex(column));
                List<Object> y = cluster.getList(cluster.fieldIndex(column));
                assertEquals(x.size(), y.size(), id);
                for (int k = 0; k < x.size(); k++) {
                    List<Row> xs = scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<Row>) x.get(k));
                    List<Row> ys = scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<Row>) y.get(k));
                    assertEquals(xs.size(), ys.size(), id);
                    for (int j = 0; j < xs.size(); j++) {
                        assertEquals(xs.get(j).getInt(0), ys.get(j).getInt(0), id + " top id");
                        assertEquals(xs.get(j).getFloat(1), ys.get(j).getFloat(1), 1e-5, id + " top logprob");
                    }
                }
            } else {
                assertEquals(a, b, id + " " + column);
            }
        }
    }

    private static Process daemon(Path log, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(mainClass);
        command.addAll(List.of(args));
        return java(log, "-Xmx256m", command);
    }

    /** A JVM with Spark's classpath (SPARK_HOME/jars), the add-opens flags and loopback networking. */
    private static Process java(Path log, String heap, List<String> mainAndArgs) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add(heap);
        command.addAll(List.of(System.getProperty("readtwice.jvm.opens", "").split("\\s+")));
        command.removeIf(String::isBlank);
        command.add("-cp");
        command.add(sparkHome.resolve("jars").toString() + "/*");
        command.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        return pb.start();
    }

    private static int count(Path log, String text) throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        String content = Files.readString(log);
        int n = 0;
        for (int i = content.indexOf(text); i >= 0; i = content.indexOf(text, i + 1)) {
            n++;
        }
        return n;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
