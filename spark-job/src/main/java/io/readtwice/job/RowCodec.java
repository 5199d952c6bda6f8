package io.readtwice.job;

import io.readtwice.answer.QaAnswer;
import io.readtwice.answer.QaRequest;
import io.readtwice.generate.Generation;
import io.readtwice.prompt.PromptFields;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The edge between Spark rows and the executor's plain records: input {@link Row} → {@link QaRequest}, and
 * {@link QaAnswer} plus the row's pass-through values → output {@link Row}. Nothing below this class sees a Row.
 */
final class RowCodec implements Serializable {
    static final String OK = "ok";
    static final String ERROR = "error";

    private final InputColumns columns;
    private final String model;
    private final String task;
    private final String strategy;
    private final String backend;
    private final boolean logprobs;

    RowCodec(InputColumns columns, String model, String task, String strategy, String backend, boolean logprobs) {
        this.columns = columns;
        this.model = model;
        this.task = task;
        this.strategy = strategy;
        this.backend = backend;
        this.logprobs = logprobs;
    }

    /** The output columns after the id and the pass-through columns, in order. */
    static List<StructField> answerFields(boolean logprobs, boolean gold) {
        List<StructField> f = new ArrayList<>();
        f.add(field("answer", DataTypes.StringType));
        f.add(field("generation", DataTypes.StringType));
        f.add(field("token_ids", DataTypes.createArrayType(DataTypes.IntegerType, false)));
        if (logprobs) {
            f.add(field("token_logprobs", DataTypes.createArrayType(DataTypes.FloatType, false)));
            StructType candidate = DataTypes.createStructType(List.of(
                    DataTypes.createStructField("id", DataTypes.IntegerType, false),
                    DataTypes.createStructField("logprob", DataTypes.FloatType, false)));
            f.add(field("top_logprobs", DataTypes.createArrayType(DataTypes.createArrayType(candidate, false), false)));
        }
        f.add(DataTypes.createStructField("prompt_tokens", DataTypes.IntegerType, false));
        f.add(DataTypes.createStructField("generated_tokens", DataTypes.IntegerType, false));
        f.add(DataTypes.createStructField("truncated", DataTypes.BooleanType, false));
        f.add(DataTypes.createStructField("status", DataTypes.StringType, false));
        f.add(field("error", DataTypes.StringType));
        f.add(field("model", DataTypes.StringType));
        f.add(field("task", DataTypes.StringType));
        f.add(field("prompt_strategy", DataTypes.StringType));
        f.add(field("backend", DataTypes.StringType));
        if (gold) {
            f.add(field("contains", DataTypes.DoubleType));
            f.add(field("exact_match", DataTypes.DoubleType));
            f.add(field("f1", DataTypes.DoubleType));
        }
        return f;
    }

    static List<String> answerColumnNames() {
        List<String> names = new ArrayList<>(List.of("id"));
        for (StructField f : answerFields(true, true)) {
            names.add(f.name());
        }
        return names;
    }

    static StructType outputSchema(InputColumns columns, boolean logprobs) {
        List<StructField> fields = new ArrayList<>();
        fields.add(field("id", DataTypes.StringType));
        fields.addAll(columns.passThroughFields());
        fields.addAll(answerFields(logprobs, columns.hasAnswers()));
        return DataTypes.createStructType(fields);
    }

    private static StructField field(String name, DataType type) {
        return DataTypes.createStructField(name, type, true);
    }

    /** The row's id as text, or null when it has none or it cannot be read. */
    String idOrNull(Row row) {
        try {
            Object id = row.get(columns.id());
            return id == null ? null : id.toString();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Reads one input row; a value that cannot be used makes an invalid request with the reason. */
    QaRequest toRequest(Row row) {
        Object rawId = row.get(columns.id());
        String id = rawId == null ? null : rawId.toString();
        List<String> gold = null;
        if (columns.duplicates() >= 0 && !row.isNullAt(columns.duplicates())) {
            return QaRequest.invalid(id, "duplicate id: " + row.get(columns.duplicates()) + " input rows have this "
                    + "id, so none was answered (--duplicate-ids error)", null);
        }
        if (columns.corrupt() >= 0 && !row.isNullAt(columns.corrupt())) {
            String line = row.get(columns.corrupt()).toString().strip();
            return QaRequest.invalid(id, "malformed input record (bad JSON/CSV syntax, wrong types or invalid "
                    + "UTF-8): " + (line.length() > 80 ? line.substring(0, 80) + "…" : line), null);
        }
        try {
            gold = gold(row);
            if (id == null) {
                return QaRequest.invalid(null, "null id in column '" + name(columns.id()) + "'", gold);
            }
            if (columns.promptIds() >= 0) {
                int[] ids = promptIds(row);
                return ids == null ? QaRequest.invalid(id, "null " + name(columns.promptIds()), gold)
                        : QaRequest.ofIds(id, ids, gold);
            }
            if (columns.prompt() >= 0) {
                String prompt = text(row, columns.prompt());
                return prompt == null ? QaRequest.invalid(id, "null " + name(columns.prompt()), gold)
                        : QaRequest.ofText(id, prompt, gold);
            }
            Map<String, String> fields = new HashMap<>();
            StructField[] schema = columns.schema().fields();
            for (int i = 0; i < schema.length; i++) {
                Object v = row.get(i);
                if (v instanceof String || v instanceof Number || v instanceof Boolean) {
                    fields.put(schema[i].name(), v.toString());
                }
            }
            if (columns.context() >= 0) {
                fields.put(PromptFields.CONTEXT, text(row, columns.context()));
            }
            if (columns.question() >= 0) {
                fields.put(PromptFields.QUESTION, text(row, columns.question()));
            }
            return QaRequest.ofFields(id, fields, gold);
        } catch (BadValue e) {
            return QaRequest.invalid(id, e.getMessage(), gold);
        }
    }

    /** The output row: id, pass-through values, then the answer columns of {@link #answerFields}. */
    Row toRow(Row input, QaAnswer a) {
        return toRow(input, a, backend);
    }

    /** The output row, saying which backend answered ({@code auto} resolved on the executor). */
    Row toRow(Row input, QaAnswer a, String backendRan) {
        List<Object> v = new ArrayList<>();
        v.add(a.id());
        for (int index : columns.passThrough()) {
            v.add(input.get(index));
        }
        v.add(a.answer());
        v.add(a.generation());
        v.add(a.tokenIds() == null ? null : boxed(a.tokenIds()));
        if (logprobs) {
            v.add(a.tokenLogprobs() == null ? null : boxed(a.tokenLogprobs()));
            v.add(a.topLogprobs() == null ? null : top(a.topLogprobs()));
        }
        v.add(a.promptTokens());
        v.add(a.generatedTokens());
        v.add(a.truncated());
        v.add(a.ok() ? OK : ERROR);
        v.add(a.error());
        v.add(model);
        v.add(task);
        v.add(strategy);
        v.add(backendRan);
        if (columns.hasAnswers()) {
            v.add(a.contains());
            v.add(a.exactMatch());
            v.add(a.f1());
        }
        return RowFactory.create(v.toArray());
    }

    private List<String> gold(Row row) throws BadValue {
        int i = columns.answers();
        if (i < 0 || row.isNullAt(i)) {
            return null;
        }
        Object v = row.get(i);
        if (v instanceof String s) {
            return List.of(checked(s, i));
        }
        List<String> out = new ArrayList<>();
        for (Object o : row.getList(i)) {
            if (o != null) {
                out.add(checked(o.toString(), i));
            }
        }
        return out;
    }

    private int[] promptIds(Row row) throws BadValue {
        int i = columns.promptIds();
        if (row.isNullAt(i)) {
            return null;
        }
        Object v = row.get(i);
        if (v instanceof String s) {
            String body = s.strip();
            if (body.startsWith("[") && body.endsWith("]")) {
                body = body.substring(1, body.length() - 1);
            }
            if (body.isBlank()) {
                return new int[0];
            }
            String[] parts = body.split(",");
            int[] ids = new int[parts.length];
            for (int k = 0; k < parts.length; k++) {
                try {
                    ids[k] = Integer.parseInt(parts[k].strip());
                } catch (NumberFormatException e) {
                    throw new BadValue("wrong type in column '" + name(i) + "': '" + parts[k].strip()
                            + "' is not a token id");
                }
            }
            return ids;
        }
        List<Object> list = row.getList(i);
        int[] ids = new int[list.size()];
        for (int k = 0; k < ids.length; k++) {
            Object o = list.get(k);
            if (!(o instanceof Number n)) {
                throw new BadValue("null token id at position " + k + " in column '" + name(i) + "'");
            }
            long value = n.longValue();
            if (value < 0 || value > Integer.MAX_VALUE) {
                throw new BadValue("token id " + value + " at position " + k + " in column '" + name(i)
                        + "' is out of range");
            }
            ids[k] = (int) value;
        }
        return ids;
    }

    /** A text column's value: strings must not hold U+FFFD (what invalid UTF-8 decodes to); binary must decode. */
    private String text(Row row, int i) throws BadValue {
        if (row.isNullAt(i)) {
            return null;
        }
        Object v = row.get(i);
        if (v instanceof byte[] bytes) {
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new BadValue("invalid UTF-8 in column '" + name(i) + "'");
            }
        }
        return checked(v.toString(), i);
    }

    private String checked(String s, int i) throws BadValue {
        if (s.indexOf('\uFFFD') >= 0) {
            throw new BadValue("invalid UTF-8 in column '" + name(i) + "' (it holds U+FFFD replacement characters)");
        }
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (Character.isSurrogate(c)) {
                boolean pair = Character.isHighSurrogate(c) && k + 1 < s.length()
                        && Character.isLowSurrogate(s.charAt(k + 1));
                if (!pair) {
                    throw new BadValue("invalid UTF-16 in column '" + name(i) + "' (a lone surrogate)");
                }
                k++;
            }
        }
        return s;
    }

    private String name(int i) {
        return columns.schema().fieldNames()[i];
    }

    /** Spark's row encoder takes arrays as Scala sequences. */
    private static <T> Seq<T> seq(List<T> values) {
        return CollectionConverters.asScala(values).toSeq();
    }

    private static Seq<Integer> boxed(int[] values) {
        List<Integer> out = new ArrayList<>(values.length);
        for (int x : values) {
            out.add(x);
        }
        return seq(out);
    }

    private static Seq<Float> boxed(float[] values) {
        List<Float> out = new ArrayList<>(values.length);
        for (float x : values) {
            out.add(x);
        }
        return seq(out);
    }

    private static Seq<Seq<Row>> top(List<List<Generation.TokenLogprob>> steps) {
        List<Seq<Row>> out = new ArrayList<>(steps.size());
        for (List<Generation.TokenLogprob> step : steps) {
            List<Row> candidates = new ArrayList<>(step.size());
            for (Generation.TokenLogprob t : step) {
                candidates.add(RowFactory.create(t.id(), t.logprob()));
            }
            out.add(seq(candidates));
        }
        return seq(out);
    }

    private static final class BadValue extends Exception {
        BadValue(String message) {
            super(message);
        }
    }
}
