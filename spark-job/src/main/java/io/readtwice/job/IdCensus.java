package io.readtwice.job;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * The input's ids, counted in one aggregation (only the id column is shuffled): rows, distinct ids, rows without
 * an id, and ids that more than one row has. It replaces a plain row count, so it costs about the same.
 *
 * <p>The duplicate-id policy needs it: {@code fail} stops the run here, before any model work, naming examples;
 * {@code error} ({@link #collapse}) replaces the rows of each duplicated id by one row whose other columns are
 * null and whose {@value InputColumns#DUPLICATE_ROWS} column holds the count, which becomes one status=error row.
 * Either way every id reaches the answer stage at most once, which is what makes the cost ranking a strict order
 * (so a recomputed partition holds the same rows) and lets {@code --resume} skip the ids already committed.
 *
 * @param rows          input rows
 * @param ids           distinct non-null ids
 * @param nullIdRows    rows whose id is null (each becomes its own error row)
 * @param duplicateIds  ids that more than one row has
 * @param duplicateRows rows that have such an id
 */
record IdCensus(long rows, long ids, long nullIdRows, long duplicateIds, long duplicateRows) {
    private static final String KEY = "__readtwice_id";
    private static final String ROWS = "__readtwice_rows";
    private static final String HASH = "__readtwice_hash";

    static IdCensus of(Dataset<Row> input, String idCol) {
        Column n = col(ROWS);
        Column dup = col(KEY).isNotNull().and(n.gt(1));
        Row r = perId(input, idCol).agg(coalesce(sum(n), lit(0L)), count(col(KEY)),
                coalesce(sum(when(col(KEY).isNull(), n)), lit(0L)), coalesce(sum(when(dup, 1L)), lit(0L)),
                coalesce(sum(when(dup, n)), lit(0L))).first();
        return new IdCensus(r.getLong(0), r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4));
    }

    /**
     * (id, rows with that id) for every id, null included. Where the input has malformed records (a
     * {@code _corrupt_record} column), the ids must be read as the answer stage reads them, from whole records (see
     * {@link Inputs#rowHash}): the filter on the maximum of the row hash is always true, but Spark cannot know that
     * (a maximum may be null), so it must parse every column. Elsewhere (Parquet) only the id column is read.
     */
    private static Dataset<Row> perId(Dataset<Row> input, String idCol) {
        if (!Arrays.asList(input.columns()).contains(InputColumns.CORRUPT_RECORD)) {
            return input.groupBy(col(quoted(idCol)).as(KEY)).agg(count(lit(1)).as(ROWS));
        }
        return input.groupBy(col(quoted(idCol)).as(KEY))
                .agg(count(lit(1)).as(ROWS), max(Inputs.rowHash(input)).as(HASH))
                .filter(col(HASH).isNotNull());
    }

    private static Dataset<Row> duplicated(Dataset<Row> input, String idCol) {
        return perId(input, idCol).filter(col(KEY).isNotNull().and(col(ROWS).gt(1)));
    }

    /** The --duplicate-ids fail message, with up to {@code limit} of the most repeated ids. */
    String describeDuplicates(Dataset<Row> input, String idCol, int limit) {
        List<String> examples = new ArrayList<>();
        for (Row r : duplicated(input, idCol).orderBy(col(ROWS).desc(), col(KEY)).limit(limit).collectAsList()) {
            examples.add("'" + r.get(0) + "' (" + r.getLong(1) + " rows)");
        }
        return String.format(Locale.ROOT, "%d id(s) in column '%s' occur on more than one input row (%d rows), "
                        + "e.g. %s; make the ids unique, or pass --duplicate-ids error to get one status=error row "
                        + "per such id", duplicateIds, idCol, duplicateRows, String.join(", ", examples));
    }

    /**
     * The input with the rows of every duplicated id replaced by one row: the id, the count in
     * {@value InputColumns#DUPLICATE_ROWS}, every other column null. The input must already have that column
     * (null), so that the schema, and with it the plan, stays the same.
     */
    static Dataset<Row> collapse(Dataset<Row> input, String idCol) {
        Dataset<Row> duplicated = duplicated(input, idCol);
        Dataset<Row> unique = input.join(duplicated.select(col(KEY)),
                input.col(quoted(idCol)).equalTo(col(KEY)), "left_anti");
        List<Column> columns = new ArrayList<>();
        for (StructField f : input.schema().fields()) {
            Column c = f.name().equals(idCol) ? col(KEY)
                    : f.name().equals(InputColumns.DUPLICATE_ROWS) ? col(ROWS) : lit(null);
            columns.add(c.cast(f.dataType()).as(f.name()));
        }
        return unique.unionByName(duplicated.select(columns.toArray(Column[]::new)));
    }

    static String quoted(String column) {
        return "`" + column.replace("`", "``") + "`";
    }
}
