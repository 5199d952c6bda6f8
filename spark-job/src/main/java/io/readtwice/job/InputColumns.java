package io.readtwice.job;

import io.readtwice.prompt.PromptFields;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The input columns a run uses, resolved and type-checked against the input schema on the driver (each error
 * names the column and the option that maps it). Column positions are what the executors read rows by.
 *
 * @param schema       the input schema
 * @param id           position of the id column
 * @param context      position of the context column, or -1 (prompt input)
 * @param question     position of the question column, or -1
 * @param answers      position of the gold answers column, or -1
 * @param prompt       position of the prompt text column, or -1
 * @param promptIds    position of the prompt ids column, or -1
 * @param corrupt      position of Spark's {@code _corrupt_record} column (JSON/CSV lines it could not parse), or -1
 * @param duplicates   position of the job's {@value #DUPLICATE_ROWS} column (how many input rows share the row's id,
 *                     set on the one row that stands for them under --duplicate-ids error), or -1
 * @param passThrough  positions of the columns copied to the output
 * @param passNames    their names in the output (renamed "input_NAME" where they clash with an output column)
 */
public record InputColumns(StructType schema, int id, int context, int question, int answers, int prompt,
                           int promptIds, int corrupt, int duplicates, int[] passThrough, String[] passNames)
        implements Serializable {
    /** Where Spark's JSON and CSV readers put a line they cannot parse (spark.sql.columnNameOfCorruptRecord). */
    static final String CORRUPT_RECORD = "_corrupt_record";
    /** The column the job adds under --duplicate-ids error; never written to the output. */
    static final String DUPLICATE_ROWS = "__readtwice_duplicate_rows";

    static InputColumns resolve(StructType schema, AnswerOptions o, List<String> outputColumns) {
        int id = required(schema, o.idCol(), "--id-col");
        DataType idType = schema.fields()[id].dataType();
        // ids are compared as text (the output's id column) to resume and to find duplicates, so they must have
        // one exact text form
        check(idType instanceof StringType || isIntegral(idType) || idType instanceof ByteType, o.idCol(), idType,
                "a string or an integer", "--id-col");
        int context = -1;
        int question = -1;
        int prompt = -1;
        int promptIds = -1;
        if (o.promptIdsCol() != null) {
            promptIds = required(schema, o.promptIdsCol(), "--prompt-ids-col");
            DataType t = schema.fields()[promptIds].dataType();
            boolean intArray = t instanceof ArrayType a && isIntegral(a.elementType());
            check(intArray || t instanceof StringType, o.promptIdsCol(), t,
                    "an array of integers or a string like \"1,2,3\"", "--prompt-ids-col");
        } else if (o.promptCol() != null) {
            prompt = required(schema, o.promptCol(), "--prompt-col");
            checkText(schema, prompt, "--prompt-col");
        } else {
            for (String field : o.promptBuilder().requiredFields()) {
                if (field.equals(PromptFields.CONTEXT)) {
                    context = required(schema, o.contextCol(), "--context-col");
                    checkText(schema, context, "--context-col");
                } else if (field.equals(PromptFields.QUESTION)) {
                    question = required(schema, o.questionCol(), "--question-col");
                    checkText(schema, question, "--question-col");
                } else if (!Arrays.asList(schema.fieldNames()).contains(field)) {
                    throw new ReadTwiceException("the prompt template uses {" + field + "}, but the input has no "
                            + "column '" + field + "'; its columns are " + String.join(", ", schema.fieldNames()));
                }
            }
        }
        int answers = -1;
        if (o.answersCol() != null) {
            answers = required(schema, o.answersCol(), "--answers-col");
        } else if (Arrays.asList(schema.fieldNames()).contains("answers")) {
            answers = schema.fieldIndex("answers");
        }
        if (answers >= 0) {
            DataType t = schema.fields()[answers].dataType();
            boolean ok = t instanceof StringType
                    || t instanceof ArrayType a && a.elementType() instanceof StringType;
            check(ok, schema.fieldNames()[answers], t, "an array of strings or a string", "--answers-col");
        }

        int duplicates = Arrays.asList(schema.fieldNames()).indexOf(DUPLICATE_ROWS);
        List<Integer> pass = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < schema.size(); i++) {
            if (i == id || i == context || i == prompt || i == promptIds || i == duplicates) {
                continue;
            }
            String name = schema.fieldNames()[i];
            pass.add(i);
            names.add(outputColumns.contains(name) ? "input_" + name : name);
        }
        int corrupt = Arrays.asList(schema.fieldNames()).indexOf(CORRUPT_RECORD);
        return new InputColumns(schema, id, context, question, answers, prompt, promptIds, corrupt, duplicates,
                pass.stream().mapToInt(Integer::intValue).toArray(), names.toArray(String[]::new));
    }

    /** The output fields of the pass-through columns. */
    List<StructField> passThroughFields() {
        List<StructField> fields = new ArrayList<>();
        for (int k = 0; k < passThrough.length; k++) {
            StructField f = schema.fields()[passThrough[k]];
            fields.add(DataTypes.createStructField(passNames[k], f.dataType(), true));
        }
        return fields;
    }

    boolean hasAnswers() {
        return answers >= 0;
    }

    private static int required(StructType schema, String name, String option) {
        if (!Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new ReadTwiceException("input has no column '" + name + "' (" + option + "); its columns are "
                    + String.join(", ", schema.fieldNames()) + ". Name the right one with " + option);
        }
        return schema.fieldIndex(name);
    }

    private static void checkText(StructType schema, int index, String option) {
        DataType t = schema.fields()[index].dataType();
        check(t instanceof StringType || t instanceof BinaryType, schema.fieldNames()[index], t,
                "a string (or UTF-8 binary)", option);
    }

    private static void check(boolean ok, String column, DataType actual, String expected, String option) {
        if (!ok) {
            throw new ReadTwiceException("column '" + column + "' (" + option + ") is " + actual.simpleString()
                    + "; it must be " + expected);
        }
    }

    private static boolean isIntegral(DataType t) {
        return t instanceof IntegerType || t instanceof LongType || t instanceof ShortType;
    }
}
