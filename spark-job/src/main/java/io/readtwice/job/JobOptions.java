package io.readtwice.job;

import java.util.List;
import java.util.Map;

/**
 * A whole {@code readtwice run}: where the rows come from, where the answers go, Spark settings, and how to answer.
 *
 * @param inputs       files, folders or globs (local, hdfs://, s3a://)
 * @param inputFormat  parquet, json or csv; null to infer from the file extensions
 * @param output       output folder for the Parquet answers and _readtwice_summary.json
 * @param overwrite    replace an existing output folder
 * @param conf         Spark settings (spark.*, spark.hadoop.*)
 * @param answer       model, prompt, generation and execution options
 * @param progress     print progress lines on the console while answering
 * @param resume       continue an interrupted run in {@code output}: answer only the ids not committed there yet
 * @param duplicateIds what to do with an id that more than one input row has: {@code fail} before any work, or
 *                     {@code error}: one status=error row for the id, none of its rows answered
 */
public record JobOptions(List<String> inputs, String inputFormat, String output, boolean overwrite,
                         Map<String, String> conf, AnswerOptions answer, boolean progress, boolean resume,
                         String duplicateIds) {
    public static final String DUPLICATES_FAIL = "fail";
    public static final String DUPLICATES_ERROR = "error";

    public JobOptions {
        inputs = List.copyOf(inputs);
        conf = Map.copyOf(conf);
    }

    /** A fresh run that fails on duplicate ids. */
    public JobOptions(List<String> inputs, String inputFormat, String output, boolean overwrite,
                      Map<String, String> conf, AnswerOptions answer, boolean progress) {
        this(inputs, inputFormat, output, overwrite, conf, answer, progress, false, DUPLICATES_FAIL);
    }

    /** The same run with {@code --resume} set or not. */
    public JobOptions withResume(boolean resume) {
        return new JobOptions(inputs, inputFormat, output, overwrite, conf, answer, progress, resume, duplicateIds);
    }

    /** The same run with another duplicate-id policy. */
    public JobOptions withDuplicateIds(String policy) {
        return new JobOptions(inputs, inputFormat, output, overwrite, conf, answer, progress, resume, policy);
    }

    /** Checks what can be checked without Spark. */
    public JobOptions validated() {
        if (inputs.isEmpty()) {
            throw new ReadTwiceException("--input is required (files, folders or globs)");
        }
        if (output == null || output.isBlank()) {
            throw new ReadTwiceException("--output is required (a folder for the Parquet answers)");
        }
        if (inputFormat != null && !Inputs.FORMATS.contains(inputFormat)) {
            throw new ReadTwiceException("--input-format must be parquet, json or csv; got " + inputFormat);
        }
        if (resume && overwrite) {
            throw new ReadTwiceException("--resume and --overwrite exclude each other: --resume keeps the rows "
                    + "already in --output, --overwrite deletes them");
        }
        if (!DUPLICATES_FAIL.equals(duplicateIds) && !DUPLICATES_ERROR.equals(duplicateIds)) {
            throw new ReadTwiceException("--duplicate-ids must be fail or error, got " + duplicateIds);
        }
        answer.validated();
        return this;
    }
}
