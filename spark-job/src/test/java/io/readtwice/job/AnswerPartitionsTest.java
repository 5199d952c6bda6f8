package io.readtwice.job;

import io.readtwice.answer.AnswerSettings;
import io.readtwice.answer.ModelHolder;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The executor function on plain rows, without a SparkSession; and the cost layout. */
class AnswerPartitionsTest {

    @Test
    void rowsInAnswersOutOneEachWithThePassThroughColumns() throws Exception {
        StructType schema = DataTypes.createStructType(List.of(
                DataTypes.createStructField("id", DataTypes.LongType, false),
                DataTypes.createStructField("context", DataTypes.StringType, true),
                DataTypes.createStructField("question", DataTypes.StringType, true),
                DataTypes.createStructField("answer", DataTypes.StringType, true)));
        AnswerOptions options = AnswerOptions.builder().model(JobTestSupport.golden("tiny-gpt2-jrt").toString())
                .maxNewTokens(2).batchTokens(200).build();
        InputColumns columns = InputColumns.resolve(schema, options, RowCodec.answerColumnNames());
        assertEquals(List.of("question", "input_answer"), List.of(columns.passNames()),
                "an input column named like an output column is renamed");
        AnswerSettings settings = new AnswerSettings(ModelHolder.CPU, options.promptBuilder(), options.stops(), 0,
                null, options.basedDecode(), options.batchTokens(), false);
        RowCodec codec = new RowCodec(columns, options.model(), "generic", "default", "cpu", false);
        AnswerPartitions fn = new AnswerPartitions(ModelSource.of(options.model(), null), settings, codec, null);

        List<Row> in = new ArrayList<>();
        for (long i = 0; i < 7; i++) {
            String context = "Document number " + i + " says: the answer is " + "word ".repeat((int) (5 * i)) + ".";
            in.add(new GenericRowWithSchema(new Object[]{i, i == 3 ? null : context, "What is the answer?", "x"},
                    schema));
        }
        List<Row> out = new ArrayList<>();
        Iterator<Row> it = fn.call(in.iterator());
        it.forEachRemaining(out::add);

        StructType outSchema = RowCodec.outputSchema(columns, false);
        assertEquals(7, out.size());
        for (Row r : out) {
            assertEquals(outSchema.size(), r.size());
            String id = r.getString(0);
            assertEquals("What is the answer?", r.get(1));
            assertEquals("x", r.get(2));
            String status = r.getString(outSchema.fieldIndex("status"));
            if (id.equals("3")) {
                assertEquals("error", status);
                assertEquals("field 'context' is null", r.get(outSchema.fieldIndex("error")));
            } else {
                assertEquals("ok", status, String.valueOf(r.get(outSchema.fieldIndex("error"))));
                assertNull(r.get(outSchema.fieldIndex("error")));
                assertTrue(r.getInt(outSchema.fieldIndex("prompt_tokens")) > 0);
            }
        }
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6"), out.stream().map(r -> r.getString(0)).sorted()
                .toList());
    }

    @Test
    void snakeOrderDealsTheCostliestRowsAcrossPartitions() {
        int[] counts = new int[3];
        long[] cost = new long[3];
        for (long rank = 0; rank < 12; rank++) {
            int p = CostBalancer.snake(rank, 3);
            counts[p]++;
            cost[p] += 12 - rank; // rank 0 is the costliest
        }
        assertEquals(List.of(0, 1, 2, 2, 1, 0), List.of(CostBalancer.snake(0, 3), CostBalancer.snake(1, 3),
                CostBalancer.snake(2, 3), CostBalancer.snake(3, 3), CostBalancer.snake(4, 3),
                CostBalancer.snake(5, 3)));
        assertEquals(List.of(4, 4, 4), List.of(counts[0], counts[1], counts[2]));
        assertEquals(List.of(26L, 26L, 26L), List.of(cost[0], cost[1], cost[2]));
    }
}
