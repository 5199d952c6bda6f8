package io.readtwice.job;

import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import scala.Tuple2;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.octet_length;
import static org.apache.spark.sql.functions.size;

/**
 * Spreads rows over partitions by estimated token cost, so that long documents do not pile up in one straggler:
 * rows are ranked by cost (most expensive first) and dealt to the partitions in snake order (0, 1, …, n−1, n−1, …,
 * 0, 0, 1, …), which gives every partition nearly the same total.
 *
 * <p>The layout must be a function of the rows alone: when Spark recomputes a lost partition (an executor died,
 * a task is retried or speculated) it assumes the same rows land in it again, and the output committer replaces
 * the partition's file by name. So the ranking is a strict total order: cost, then id, then a hash of the whole
 * row, so rows tie only when they are identical, and swapping identical rows changes nothing. Rows without an id
 * are not ranked; they all go to partition 0, so they are committed all at once or not at all, which is what lets
 * {@code --resume} tell whether they were done.
 */
final class CostBalancer {
    private static final String COST = "__readtwice_cost";

    private CostBalancer() {
    }

    static Dataset<Row> spread(SparkSession spark, Dataset<Row> input, InputColumns columns, AnswerOptions o,
                               int partitions) {
        Column[] original = new Column[input.columns().length];
        for (int i = 0; i < original.length; i++) {
            original[i] = col("`" + input.columns()[i] + "`");
        }
        Dataset<Row> ranked = input.withColumn(COST, cost(input, columns, o))
                .orderBy(col(COST).desc(), col("`" + o.idCol() + "`").asc(), Inputs.rowHash(input).asc())
                .select(original);
        int id = columns.id();
        JavaPairRDD<Integer, Row> dealt = ranked.javaRDD().zipWithIndex()
                .mapToPair(t -> new Tuple2<>(t._1().isNullAt(id) ? 0 : snake(t._2(), partitions), t._1()));
        JavaRDD<Row> rows = dealt.partitionBy(new Exact(partitions)).values();
        return spark.createDataFrame(rows, input.schema());
    }

    /** Partition of the row ranked {@code rank} (0 = costliest) among {@code n} partitions, in snake order. */
    static int snake(long rank, int n) {
        long round = rank / n;
        int position = (int) (rank % n);
        return round % 2 == 0 ? position : n - 1 - position;
    }

    /** Estimated prompt tokens: about 4 bytes of text per token; ids count themselves. */
    private static Column cost(Dataset<Row> input, InputColumns c, AnswerOptions o) {
        String[] names = input.columns();
        if (c.promptIds() >= 0) {
            Column ids = col("`" + names[c.promptIds()] + "`");
            return input.schema().fields()[c.promptIds()].dataType() instanceof ArrayType
                    ? coalesce(size(ids), lit(0)) : coalesce(length(ids), lit(0)).divide(6);
        }
        if (c.prompt() >= 0) {
            return coalesce(octet_length(col("`" + names[c.prompt()] + "`")), lit(0)).divide(4);
        }
        Column context = coalesce(octet_length(col("`" + names[c.context()] + "`")), lit(0));
        Column question = coalesce(octet_length(col("`" + names[c.question()] + "`")), lit(0));
        return context.multiply(o.readings()).plus(question).divide(4);
    }

    /** Sends key k to partition k. */
    private static final class Exact extends Partitioner {
        private final int n;

        Exact(int n) {
            this.n = n;
        }

        @Override
        public int numPartitions() {
            return n;
        }

        @Override
        public int getPartition(Object key) {
            return (Integer) key;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Exact e && e.n == n;
        }

        @Override
        public int hashCode() {
            return n;
        }
    }
}
