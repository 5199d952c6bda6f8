package io.readtwice.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.readtwice.answer.AnswerSettings;
import io.readtwice.answer.ModelHolder;
import io.readtwice.text.Gpt2Tokenizer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded, time-bounded fuzzing of the input side: hostile rows (nulls everywhere, lone surrogates, U+FFFD, control
 * characters, unbroken runs, a 10 MB document) straight through the executor function, and a hostile JSON Lines
 * file (malformed, truncated and deeply nested records, invalid UTF-8, wrong types, a 10 MB line) through the whole
 * job. Each row must come out exactly once, as an answer or an error row; never a task failure, a hang or an
 * out-of-memory. A failure names the seed.
 */
class InputFuzzTest {
    private static final long SEED = 0xf0220L;
    private static final long ROWS_BUDGET_MILLIS = 4_000;
    private static final int TEN_MB = 10 << 20;
    private static SparkSession spark;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        spark = JobTestSupport.session();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static final StructType SCHEMA = DataTypes.createStructType(List.of(
            DataTypes.createStructField("id", DataTypes.StringType, true),
            DataTypes.createStructField("context", DataTypes.StringType, true),
            DataTypes.createStructField("question", DataTypes.StringType, true),
            DataTypes.createStructField("answers", DataTypes.createArrayType(DataTypes.StringType, true), true),
            DataTypes.createStructField("n", DataTypes.LongType, true)));

    @Test
    void hostileRowsEachComeOutOnceAsAnAnswerOrAnErrorRow() throws Exception {
        AnswerOptions options = AnswerOptions.builder().model(JobTestSupport.golden("tiny-gpt2-jrt").toString())
                .task("squad").maxNewTokens(1).batchTokens(2048).build();
        InputColumns columns = InputColumns.resolve(SCHEMA, options, RowCodec.answerColumnNames());
        AnswerSettings settings = new AnswerSettings(ModelHolder.CPU, options.promptBuilder(), options.stops(), 0,
                null, options.basedDecode(), options.batchTokens(), false);
        RowCodec codec = new RowCodec(columns, options.model(), "squad", "default", "cpu", false);
        AnswerPartitions fn = new AnswerPartitions(ModelSource.of(options.model(), null), settings, codec, null);
        StructType out = RowCodec.outputSchema(columns, false);

        long deadline = System.nanoTime() + ROWS_BUDGET_MILLIS * 1_000_000;
        Map<String, Integer> outcomes = new TreeMap<>();
        int batches = 0;
        for (; batches < 500 && (batches < 3 || System.nanoTime() < deadline); batches++) {
            long seed = SEED * 7919 + batches;
            Random r = new Random(seed);
            List<Row> in = new ArrayList<>();
            for (int i = 0, n = 1 + r.nextInt(24); i < n; i++) {
                // the first batch carries the 10 MB document
                String context = batches == 0 && i == 0 ? words(r, TEN_MB) : hostileText(r);
                in.add(new GenericRowWithSchema(new Object[]{r.nextInt(20) == 0 ? null : "s" + seed + "-" + i,
                        context, hostileText(r), hostileAnswers(r), r.nextInt(5) == 0 ? null : r.nextLong()},
                        SCHEMA));
            }
            List<Row> answers = new ArrayList<>();
            try {
                Iterator<Row> it = fn.call(in.iterator());
                it.forEachRemaining(answers::add);
            } catch (Throwable t) {
                throw new AssertionError("seed " + seed + ": the partition failed: " + t, t);
            }
            assertEquals(in.size(), answers.size(), "seed " + seed);
            for (int i = 0; i < in.size(); i++) {
                Row a = answers.get(i);
                String status = a.getString(out.fieldIndex("status"));
                String error = a.getString(out.fieldIndex("error"));
                assertTrue("ok".equals(status) == (error == null), "seed " + seed + ": " + status + " / " + error);
                outcomes.merge("ok".equals(status) ? "ok" : error.replaceAll("[^a-z ].*", ""), 1, Integer::sum);
            }
            Set<String> ids = new HashSet<>();
            in.forEach(row -> ids.add(String.valueOf(row.getString(0))));
            answers.forEach(row -> assertTrue(ids.contains(String.valueOf(row.getString(0))), "seed " + seed));
        }
        System.out.println("InputFuzzTest rows: " + batches + " partitions, outcomes " + outcomes);
        assertTrue(outcomes.containsKey("ok") && outcomes.size() > 3, outcomes.toString());
    }

    @Test
    void aHostileJsonLinesFileRunsToTheEndWithEveryRecordOnce() throws IOException {
        Random r = new Random(SEED);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        Set<String> intact = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            String id = "L" + i;
            boolean goodQuestion = r.nextInt(3) > 0;
            String extra = extraFields(r);
            String line = "{\"id\": \"" + id + "\", \"context\": " + jsonText(words(r, 20 + r.nextInt(400)))
                    + ", \"question\": " + jsonText(goodQuestion ? words(r, 5 + r.nextInt(40)) : hostileText(r))
                    + extra + "}";
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            switch (r.nextInt(12)) {
                case 0 -> bytes = java.util.Arrays.copyOf(bytes, r.nextInt(bytes.length)); // truncated
                case 1 -> bytes[r.nextInt(bytes.length)] = (byte) (0x80 + r.nextInt(0x80)); // invalid UTF-8
                case 2 -> bytes = ("{\"id\": \"" + id + "\", \"deep\": " + "[".repeat(r.nextBoolean() ? 100 : 100_000)
                        + "]".repeat(100) + ", \"context\": \"c\", \"question\": \"q\"}").getBytes(StandardCharsets.UTF_8);
                case 3 -> bytes = List.of("null", "[]", "123", "\"text\"", "{}", "{\"id\": null}", "\uFEFF{}",
                        "{\"id\": {\"nested\": 1}, \"context\": \"c\"}").get(r.nextInt(8))
                        .getBytes(StandardCharsets.UTF_8);
                case 4 -> bytes = ("{\"id\": \"" + id + "\", \"context\": " + List.of("null", "17", "[1, 2]",
                        "{\"a\": \"b\"}", "true", "\"\"").get(r.nextInt(6)) + ", \"question\": null}")
                        .getBytes(StandardCharsets.UTF_8);
                default -> {
                    if (goodQuestion && !extra.contains("{\"a\": ".repeat(Inputs.MAX_NESTING))) {
                        intact.add(id);
                    }
                }
            }
            file.writeBytes(bytes);
            file.write('\n');
        }
        file.writeBytes(("{\"id\": \"ten-mb\", \"context\": " + jsonText(words(r, TEN_MB)) + ", \"question\": "
                + "\"What?\"}\n").getBytes(StandardCharsets.UTF_8));
        intact.add("ten-mb");
        Path input = tmp.resolve("hostile.jsonl");
        Files.write(input, file.toByteArray());

        Path output = tmp.resolve("out");
        AnswerOptions answer = AnswerOptions.builder().model(JobTestSupport.golden("tiny-gpt2-jrt").toString())
                .maxNewTokens(1).partitions(3).build();
        RunSummary summary = ReadTwiceJob.run(spark, new JobOptions(List.of(input.toString()), null,
                output.toString(), false, Map.of(), answer, false, false, JobOptions.DUPLICATES_ERROR),
                JobTestSupport.console(new StringWriter()));

        long records = spark.read().option("maxNestingDepth", Inputs.MAX_NESTING).json(input.toString()).count();
        List<Row> rows = spark.read().parquet(output.toString()).collectAsList();
        JsonNode s = summary.json();
        System.out.println("InputFuzzTest JSON: " + records + " records, " + s.get("rows") + ", errors "
                + s.get("errors"));
        assertTrue(s.get("ids").get("each_once").asBoolean(), s.get("ids").toString());
        assertEquals(records, s.get("rows").get("in").asLong());
        Map<String, Row> byId = new HashMap<>();
        for (Row row : rows) {
            if (row.getAs("id") != null) {
                assertNull(byId.put(row.getAs("id"), row), "id " + row.getAs("id") + " twice");
            }
        }
        for (String id : intact) {
            assertNotNull(byId.get(id), id);
            assertEquals("ok", byId.get(id).getAs("status"), id + ": " + byId.get(id).getAs("error"));
        }
        assertTrue(spark.read().parquet(output.toString()).filter(col("error").contains("malformed input record"))
                .count() > 0);

        // a record that repeats a key makes Spark's schema hold one column twice: a clear error before any work
        Path repeated = tmp.resolve("repeated.jsonl");
        Files.writeString(repeated, "{\"id\": \"a\", \"context\": \"c\", \"question\": \"q\"}\n"
                + "{\"id\": \"b\", \"context\": \"c\", \"question\": \"q\", \"x\": 1, \"x\": 2}\n");
        ReadTwiceException e = assertThrows(ReadTwiceException.class, () -> ReadTwiceJob.run(spark,
                new JobOptions(List.of(repeated.toString()), null, tmp.resolve("never").toString(), false, Map.of(),
                        answer, false), JobTestSupport.console(new StringWriter())));
        assertTrue(e.getMessage().contains("repeats a key"), e.getMessage());
    }

    /**
     * Spark's JSON reader parses only the columns a query needs, and a record nested too deep in another column
     * has a null id when only the id is parsed but its id when every column is. The job's id census must see what
     * the answer stage sees (found by the fuzz test above: the census and the output disagreed on 19 ids).
     */
    @Test
    void theIdCensusSeesTheRecordsAsTheAnswerStageDoes() throws IOException {
        Path input = tmp.resolve("pruned.jsonl");
        String deep = "{\"a\": ".repeat(Inputs.MAX_NESTING + 6) + "1" + "}".repeat(Inputs.MAX_NESTING + 6);
        Files.writeString(input, "{\"id\": \"a\", \"context\": \"c\", \"question\": \"q\", \"x\": 1}\n"
                + "{\"id\": \"b\", \"context\": \"c\", \"question\": \"q\", \"x\": \"s\"}\n"
                + "{\"id\": \"c\", \"context\": \"c\", \"question\": \"q\", \"x\": " + deep + "}\n"
                + "{\"id\": \"c\", \"context\": \"c\", \"question\": \"q\", \"x\": " + deep + "}\n");
        Dataset<Row> json = spark.read().option("maxNestingDepth", Inputs.MAX_NESTING).json(input.toString());
        assertEquals(List.of("a", "b", "null", "null"), json.select("id").collectAsList().stream()
                .map(r -> String.valueOf(r.<String>getAs(0))).toList(), "the id alone: c is malformed");
        assertEquals(List.of("a", "b", "c", "c"), json.collectAsList().stream()
                .map(r -> String.valueOf(r.<String>getAs("id"))).toList(), "every column: c is fine");

        IdCensus census = IdCensus.of(json, "id");
        assertEquals(new IdCensus(4, 3, 0, 1, 2), census);
        ReadTwiceException e = assertThrows(ReadTwiceException.class, () -> ReadTwiceJob.run(spark,
                new JobOptions(List.of(input.toString()), null, tmp.resolve("o").toString(), false, Map.of(),
                        AnswerOptions.builder().model(JobTestSupport.golden("tiny-gpt2-jrt").toString()).build(),
                        false), JobTestSupport.console(new StringWriter())));
        assertTrue(e.getMessage().startsWith("1 id(s) in column 'id' occur on more than one input row (2 rows), "
                + "e.g. 'c' (2 rows)"), e.getMessage());
    }

    /** Words of 1–9 letters, about {@code chars} characters in all. */
    private static String words(Random r, int chars) {
        StringBuilder sb = new StringBuilder(chars + 16);
        while (sb.length() < chars) {
            for (int k = 1 + r.nextInt(9); k > 0; k--) {
                sb.append((char) ('a' + r.nextInt(26)));
            }
            sb.append(r.nextInt(12) == 0 ? ". " : " ");
        }
        return sb.toString();
    }

    private static String hostileText(Random r) {
        return switch (r.nextInt(14)) {
            case 0 -> null;
            case 1 -> "";
            case 2 -> " \t\n ";
            case 3 -> "caf\uFFFD au lait";
            case 4 -> "lone \uD800 surrogate";
            case 5 -> "nul\u0000 and \u001b[31m escapes";
            case 6 -> "😀 emoji, 漢字, עברית, e\u0301";
            case 7 -> "a".repeat(Gpt2Tokenizer.MAX_PIECE_CHARS + 1);
            case 8 -> "{question} {{ }} \\n {context}";
            case 9 -> "x".repeat(r.nextInt(5000)) + " tail";
            default -> words(r, 1 + r.nextInt(300));
        };
    }

    private static Object hostileAnswers(Random r) {
        List<String> list = new ArrayList<>();
        return switch (r.nextInt(5)) {
            case 0 -> null;
            case 1 -> scala.jdk.javaapi.CollectionConverters.asScala(list).toSeq();
            default -> {
                for (int k = r.nextInt(3); k >= 0; k--) {
                    list.add(r.nextInt(4) == 0 ? null : hostileText(r));
                }
                yield scala.jdk.javaapi.CollectionConverters.asScala(list).toSeq();
            }
        };
    }

    /** 0–2 extra columns of random JSON: numbers, strings, arrays, objects, some nested past the limit. */
    private static String extraFields(Random r) {
        StringBuilder sb = new StringBuilder();
        for (int k = r.nextInt(3); k > 0; k--) {
            int depth = r.nextInt(10) == 0 ? 70 : r.nextInt(4);
            sb.append(", \"x").append(k).append("\": ").append("{\"a\": ".repeat(depth))
                    .append(r.nextBoolean() ? String.valueOf(r.nextInt()) : "\"v\"").append("}".repeat(depth));
        }
        return sb.toString();
    }

    private static String jsonText(String s) {
        if (s == null) {
            return "null";
        }
        try {
            return JobTestSupport.JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
