package io.readtwice.job;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
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
 * The shaded jar submitted with SparkSubmit to a real standalone cluster ({@link TestCluster}: a master and two
 * one-core workers on loopback). Each executor JVM loads the model itself, and the answers equal a local run's.
 */
@ExtendWith(TestCluster.Extension.class)
class StandaloneClusterIT {
    @TempDir
    static Path tmp;

    private static TestCluster cluster;

    @BeforeAll
    static void cluster(TestCluster shared) {
        cluster = shared;
    }

    @Test
    void theShadedJarOnTwoExecutorsAnswersAsALocalRunDoes() throws Exception {
        Path input = JobTestSupport.squadSubset(tmp.resolve("in/squad.jsonl"), 16);
        Path model = JobTestSupport.golden("tiny-gpt2-jrt");
        Path clusterOut = tmp.resolve("cluster-out");
        List<String> runArgs = List.of("run", "--input", input.toString(), "--model", model.toString(),
                "--task", "squad", "--strategy", "twice", "--max-new-tokens", "3", "--partitions", "4", "--logprobs",
                "2", "--quiet");

        List<String> args = new ArrayList<>(runArgs);
        args.addAll(List.of("--output", clusterOut.toString()));
        Path submitLog = tmp.resolve("submit.log");
        Process app = cluster.submit(submitLog, Map.of(), args);
        try {
            assertTrue(app.waitFor(5, TimeUnit.MINUTES), "spark-submit did not finish in 5 minutes");
        } finally {
            TestCluster.stop(app);
        }
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
     * Every column equal; log-probabilities to 1e-4, since the Vector API's float reductions may add in a different
     * order once the JIT has compiled them, which moves the last bits of a logit (1.4e-5 was seen; the golden
     * parity tolerance is 2e-4).
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
                    assertEquals(x.get(k), y.get(k), 1e-4, id + " " + column + "[" + k + "]");
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
                        assertEquals(xs.get(j).getFloat(1), ys.get(j).getFloat(1), 1e-4, id + " top logprob");
                    }
                }
            } else {
                assertEquals(a, b, id + " " + column);
            }
        }
    }
}
