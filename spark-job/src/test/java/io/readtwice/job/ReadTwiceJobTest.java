package io.readtwice.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.readtwice.answer.ModelHolder;
import io.readtwice.generate.JrtPadding;
import io.readtwice.model.BasedDecode;
import io.readtwice.prompt.AnswerText;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
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

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End-to-end runs of the job on local[2] with the golden tiny models: contract of the output and the summary. */
class ReadTwiceJobTest {
    private static SparkSession spark;
    private static final AtomicInteger JOBS = new AtomicInteger();

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        ModelHolder.clear(); // the summary test counts model loads; another test class may have loaded it already
        spark = JobTestSupport.session();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart jobStart) {
                JOBS.incrementAndGet();
            }
        });
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static AnswerOptions.Builder jrt() {
        return AnswerOptions.builder().model(JobTestSupport.golden("tiny-gpt2-jrt").toString());
    }

    private RunSummary run(Path input, Path output, AnswerOptions answer) {
        JobOptions o = new JobOptions(List.of(input.toString()), null, output.toString(), false, Map.of(), answer,
                false);
        return ReadTwiceJob.run(spark, o, JobTestSupport.console(new StringWriter()));
    }

    @Test
    void squadSubsetEveryIdOnceDocumentedSchemaAndASummaryThatAgreesWithTheRows() {
        Path input = JobTestSupport.squadSubset(tmp.resolve("in/squad.jsonl"), 40);
        Path output = tmp.resolve("out");
        run(input, output, jrt().task("squad").strategy("twice").maxNewTokens(4).partitions(3).build());

        Dataset<Row> out = spark.read().parquet(output.toString());
        // pass-through columns (all but the context) in the input's order; Spark's JSON reader sorts them
        assertEquals(List.of("id", "answers", "is_impossible", "question", "title", "answer", "generation",
                "token_ids", "prompt_tokens", "generated_tokens", "truncated", "status", "error", "model", "task",
                "prompt_strategy", "backend", "contains", "exact_match", "f1"), Arrays.asList(out.columns()));
        List<String> inputIds = spark.read().json(input.toString()).select("id").as(
                org.apache.spark.sql.Encoders.STRING()).collectAsList().stream().sorted().toList();
        List<String> outputIds = out.select("id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList()
                .stream().sorted().toList();
        assertEquals(40, inputIds.size());
        assertEquals(inputIds, outputIds, "every input id exactly once");

        List<Row> rows = out.collectAsList();
        long promptTokens = 0;
        long generated = 0;
        double contains = 0;
        for (Row r : rows) {
            assertEquals("ok", r.getAs("status"), String.valueOf(r.<String>getAs("error")));
            assertEquals("squad", r.getAs("task"));
            assertEquals("twice", r.getAs("prompt_strategy"));
            assertEquals("cpu", r.getAs("backend"));
            int n = r.<Integer>getAs("generated_tokens");
            assertTrue(n >= 1 && n <= 4);
            assertEquals(n, r.getList(r.fieldIndex("token_ids")).size());
            assertEquals(AnswerText.postProcess(r.getAs("generation"), List.of("\n")), r.getAs("answer"));
            promptTokens += r.<Integer>getAs("prompt_tokens");
            generated += n;
            contains += r.<Double>getAs("contains");
        }
        JsonNode s = JobTestSupport.summary(output);
        assertEquals(40, s.get("rows").get("in").asLong());
        assertEquals(40, s.get("rows").get("out").asLong());
        assertEquals(40, s.get("rows").get("ok").asLong());
        assertEquals(0, s.get("rows").get("failed").asLong());
        assertEquals(40, s.get("rows").get("distinct_ids").asLong());
        assertEquals(promptTokens, s.get("tokens").get("prompt").asLong());
        assertEquals(generated, s.get("tokens").get("generated").asLong());
        JsonNode accuracy = s.get("accuracy").get(0);
        assertEquals("squad", accuracy.get("task").asText());
        assertEquals("twice", accuracy.get("prompt_strategy").asText());
        assertEquals(40, accuracy.get("scored").asLong());
        assertEquals(contains / 40, accuracy.get("contains").asDouble(), 1e-9);
        assertTrue(s.get("wall_seconds").has(ReadTwiceJob.ANSWER_STAGE));
        assertTrue(s.get("tokens_per_second").get("total").asDouble() > 0);
        assertTrue(s.get("model_loads").size() >= 1, "the driver's check load at least: " + s.get("model_loads"));
    }

    @Test
    void preTokenizedPromptsReproduceTheGoldenTokensAndLogprobs() {
        // JRT-RNN, reference left padding
        checkGolden("tiny-gpt2-jrt", "default_left_pad", jrt().jrtPadding(JrtPadding.LEFT), "jrt-left");
        // JRT-RNN, the case fed without padding
        checkGolden("tiny-gpt2-jrt", "default", jrt().jrtPadding(JrtPadding.NONE), "jrt-none");
        // Based, the reference's decode (double kv update), which generation.* was recorded with
        checkGolden("tiny-gpt2-based", "default", AnswerOptions.builder()
                .model(JobTestSupport.golden("tiny-gpt2-based").toString()).basedDecode(BasedDecode.REFERENCE),
                "based");
    }

    private void checkGolden(String model, String decodeMode, AnswerOptions.Builder options, String name) {
        Map<String, JsonNode> byName = new HashMap<>();
        List<Row> rows = new ArrayList<>();
        for (JsonNode c : JobTestSupport.cases(model)) {
            if (!c.get("decode_mode").asText().equals(decodeMode)) {
                continue;
            }
            List<Integer> ids = new ArrayList<>();
            c.get("input_ids").forEach(n -> ids.add(n.asInt()));
            rows.add(RowFactory.create(c.get("name").asText(), ids));
            byName.put(c.get("name").asText(), c);
        }
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("id", DataTypes.StringType, false),
                DataTypes.createStructField("prompt_ids", DataTypes.createArrayType(DataTypes.IntegerType), false)));
        Path input = tmp.resolve(name + "-in");
        spark.createDataFrame(rows, schema).write().parquet(input.toString());
        Path output = tmp.resolve(name + "-out");
        run(input, output, options.promptIdsCol("prompt_ids").maxNewTokens(8).stops(List.of()).logprobs(3)
                .partitions(2).build());

        List<Row> out = spark.read().parquet(output.toString()).collectAsList();
        assertEquals(byName.size(), out.size());
        for (Row r : out) {
            JsonNode g = byName.get(r.<String>getAs("id")).get("generation");
            assertEquals("ok", r.getAs("status"));
            assertEquals("given", r.getAs("prompt_strategy"));
            List<Integer> expected = new ArrayList<>();
            g.get("new_tokens").forEach(n -> expected.add(n.asInt()));
            assertEquals(expected, r.getList(r.fieldIndex("token_ids")), name + " " + r.getAs("id"));
            List<Float> logprobs = r.getList(r.fieldIndex("token_logprobs"));
            JsonNode compact = g.get("step_logits_compact");
            for (int k = 0; k < expected.size(); k++) {
                double chosen = compact.get("chosen_logit").get(k).asDouble();
                double lp = chosen - compact.get("logsumexp").get(k).asDouble();
                assertEquals(lp, logprobs.get(k), 2e-4 + 1e-5 * Math.abs(chosen), name + " step " + k);
            }
            List<Row> top = r.<Row>getList(r.fieldIndex("top_logprobs")).isEmpty() ? List.of()
                    : r.getList(r.fieldIndex("top_logprobs")).stream().map(o -> (Row) null).toList();
            assertEquals(expected.size(), top.size(), "one top-K list per step");
            assertEquals(r.<Integer>getAs("prompt_tokens"),
                    byName.get(r.<String>getAs("id")).get("prompt_length").asInt());
        }
    }

    @Test
    void badRowsBecomeErrorRowsAndTheJobGoesOn() throws Exception {
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("id", DataTypes.StringType, true),
                DataTypes.createStructField("context", DataTypes.BinaryType, true),
                DataTypes.createStructField("question", DataTypes.StringType, true)));
        byte[] good = "The Eiffel Tower is in Paris.".getBytes(StandardCharsets.UTF_8);
        List<Row> rows = List.of(
                RowFactory.create("ok", good, "Where is the Eiffel Tower?"),
                RowFactory.create("null-context", null, "Where?"),
                RowFactory.create("empty-question", good, ""),
                RowFactory.create("bad-utf8", new byte[]{'a', (byte) 0xC3, (byte) 0x28, 'b'}, "Why?"),
                RowFactory.create(null, good, "Who?"));
        Path input = tmp.resolve("bad-in");
        spark.createDataFrame(rows, schema).write().parquet(input.toString());
        Path output = tmp.resolve("bad-out");
        run(input, output, jrt().maxNewTokens(2).build());

        Map<String, Row> byId = spark.read().parquet(output.toString()).collectAsList().stream()
                .collect(Collectors.toMap(r -> String.valueOf(r.<String>getAs("id")), r -> r));
        assertEquals(5, byId.size());
        assertEquals("ok", byId.get("ok").getAs("status"));
        assertError(byId.get("null-context"), "context");
        assertError(byId.get("empty-question"), "question");
        assertError(byId.get("bad-utf8"), "invalid UTF-8 in column 'context'");
        assertError(byId.get("null"), "null id");
        JsonNode s = JobTestSupport.summary(output);
        assertEquals(1, s.get("rows").get("ok").asLong());
        assertEquals(4, s.get("rows").get("failed").asLong());
        assertEquals(4, s.get("errors").size(), s.get("errors").toString());

        // JSON Lines: Spark's reader gives up on a line with invalid UTF-8 (_corrupt_record); that row is an error
        Path jsonl = tmp.resolve("bad.jsonl");
        try (var out = Files.newOutputStream(jsonl)) {
            out.write("{\"id\": \"j1\", \"context\": \"caf".getBytes(StandardCharsets.UTF_8));
            out.write(new byte[]{(byte) 0xC3, (byte) 0x28});
            out.write("\", \"question\": \"What?\"}\n".getBytes(StandardCharsets.UTF_8));
            out.write("{\"id\": \"j2\", \"context\": \"fine\", \"question\": \"What?\"}\n"
                    .getBytes(StandardCharsets.UTF_8));
        }
        run(jsonl, tmp.resolve("bad-json-out"), jrt().maxNewTokens(2).build());
        Map<String, Row> json = spark.read().parquet(tmp.resolve("bad-json-out").toString()).collectAsList()
                .stream().collect(Collectors.toMap(r -> String.valueOf(r.<String>getAs("id")), r -> r));
        assertEquals(2, json.size());
        assertError(json.get("null"), "malformed input record");
        assertEquals("ok", json.get("j2").getAs("status"));

        // --on-error fail: the first bad row fails the job, with the row and the reason
        ReadTwiceJob.JobFailedException failed = assertThrows(ReadTwiceJob.JobFailedException.class,
                () -> run(input, tmp.resolve("bad-out-2"), jrt().maxNewTokens(2).onError("fail").build()));
        assertTrue(failed.getMessage().startsWith("bad row, row "), failed.getMessage());
        assertTrue(failed.getMessage().contains("--on-error fail"), failed.getMessage());
        awaitNoRunningStages();
    }

    /**
     * A failed job's other tasks are cancelled asynchronously and may still be writing into the output folder; the
     * temporary folder can only be deleted once they are gone (it failed under load otherwise).
     */
    private static void awaitNoRunningStages() throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (spark.sparkContext().statusTracker().getActiveStageIds().length > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    private static void assertError(Row r, String reason) {
        assertEquals("error", r.getAs("status"));
        assertTrue(r.<String>getAs("error").contains(reason), r.<String>getAs("error") + " should mention " + reason);
        assertNull(r.getAs("answer"));
        assertNull(r.getAs("token_ids"));
    }

    @Test
    void badOptionsInputsOutputsAndModelsFailBeforeAnyExecutorWork() throws Exception {
        Path input = tmp.resolve("opts-in");
        spark.createDataFrame(List.of(RowFactory.create("a", "Some text.", "What?", 5L)), DataTypes.createStructType(
                List.of(DataTypes.createStructField("id", DataTypes.StringType, false),
                        DataTypes.createStructField("context", DataTypes.StringType, false),
                        DataTypes.createStructField("question", DataTypes.StringType, false),
                        DataTypes.createStructField("n", DataTypes.LongType, false))))
                .write().parquet(input.toString());
        Path existing = Files.createDirectories(tmp.resolve("existing"));
        Path badModel = Files.createDirectories(tmp.resolve("bad-model"));
        Files.writeString(badModel.resolve("config.json"), "{\"n_embd\": 64}");
        Path output = tmp.resolve("never");

        int before = JOBS.get();
        // options, model and output are checked before the input is even read: no Spark job at all
        if (!io.readtwice.kernels.gpu.GpuProbe.available()) {
            assertFails(input, output, jrt().backend("gpu"), "--backend gpu: ");
        }
        assertFails(input, output, jrt().strategy("repeat:0"), "--strategy");
        assertFails(input, output, jrt().task("trivia"), "--task");
        assertFails(input, output, jrt().maxNewTokens(0), "--max-new-tokens");
        assertFails(input, output, jrt().onError("ignore"), "--on-error");
        assertFails(input, output, jrt().cut("head"), "needs a token budget");
        assertFails(input, output, AnswerOptions.builder().model(tmp.resolve("nope").toString()), "no such folder");
        assertFails(input, output, AnswerOptions.builder().model(badModel.toString()), "bad model");
        assertFails(input, existing, jrt(), "already exists; pass --overwrite");
        assertFails(input, input, jrt(), "also an --input");
        assertFails(tmp.resolve("missing.parquet"), output, jrt(), "no such file or folder");
        assertEquals(before, JOBS.get(), "no Spark job ran for a bad option, model, output or a missing input");
        // columns are checked against the input's schema (reading a Parquet footer is Spark's only work)
        assertFails(input, output, jrt().questionCol("query"), "no column 'query' (--question-col)");
        assertFails(input, output, jrt().contextCol("n"), "column 'n' (--context-col) is bigint");
        assertFails(input, output, jrt().template("{context} {missing}"), "no column 'missing'");
        assertFalse(Files.exists(output), "the checks leave nothing behind");
    }

    private void assertFails(Path input, Path output, AnswerOptions.Builder options, String message) {
        ReadTwiceException e = assertThrows(ReadTwiceException.class,
                () -> run(input, output, options.build()));
        assertTrue(e.getMessage().contains(message), e.getMessage() + " should contain " + message);
    }

    @Test
    void csvInputAndTheLibraryEntryPoint() throws Exception {
        Path csv = tmp.resolve("in.csv");
        Files.writeString(csv, "id,context,question,answers\n"
                + "1,\"The Eiffel Tower is in Paris.\nIt is tall.\",Where is the Eiffel Tower?,Paris\n"
                + "2,\"Rome is in Italy, on the Tiber.\",Where is Rome?,Italy\n");
        Path output = tmp.resolve("csv-out");
        run(csv, output, jrt().maxNewTokens(3).build());
        List<Row> rows = spark.read().parquet(output.toString()).orderBy("id").collectAsList();
        assertEquals(2, rows.size());
        assertEquals("ok", rows.get(0).getAs("status"));
        assertTrue(Arrays.asList(spark.read().parquet(output.toString()).columns()).contains("f1"),
                "a string answers column is gold too");

        Dataset<Row> in = spark.read().option("header", "true").option("multiLine", "true").csv(csv.toString());
        AnswerOptions options = jrt().maxNewTokens(3).build();
        Dataset<Row> answers = ReadTwice.answer(spark, in, options);
        assertEquals(ReadTwice.outputSchema(in.schema(), options), answers.schema());
        assertEquals(rows.get(0).<String>getAs("generation"),
                answers.filter(col("id").equalTo("1")).first().getAs("generation"),
                "the library gives what the job wrote");

        // the Spark ML Transformer: the same options as params, in a Pipeline
        io.readtwice.ml.ReadTwiceTransformer transformer = new io.readtwice.ml.ReadTwiceTransformer()
                .setOption("model", JobTestSupport.golden("tiny-gpt2-jrt").toString())
                .setOption("maxNewTokens", 3);
        assertEquals(options, transformer.options());
        org.apache.spark.ml.PipelineModel pipeline = new org.apache.spark.ml.Pipeline()
                .setStages(new org.apache.spark.ml.PipelineStage[]{transformer}).fit(in);
        Dataset<Row> viaPipeline = pipeline.transform(in);
        assertEquals(answers.schema(), viaPipeline.schema());
        assertEquals(rows.get(1).<String>getAs("generation"),
                viaPipeline.filter(col("id").equalTo("2")).first().getAs("generation"));
        assertEquals(transformer.options(), ((io.readtwice.ml.ReadTwiceTransformer) transformer
                .copy(org.apache.spark.ml.param.ParamMap.empty())).options());
        // weight storage is a param too, checked like --weights
        assertEquals("bf16", transformer.setOption("weights", "bf16").options().weights());
        ReadTwiceException badWeights = assertThrows(ReadTwiceException.class,
                () -> transformer.setOption("weights", "int4").options().weightPrecision());
        assertTrue(badWeights.getMessage().startsWith("--weights: "), badWeights.getMessage());
    }
}
