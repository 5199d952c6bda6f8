package io.readtwice.job;

import java.util.List;
import java.util.Map;

/**
 * A whole {@code readtwice run}: where the rows come from, where the answers go, Spark settings, and how to answer.
 *
 * @param inputs      files, folders or globs (local, hdfs://, s3a://)
 * @param inputFormat parquet, json or csv; null to infer from the file extensions
 * @param output      output folder for the Parquet answers and _readtwice_summary.json
 * @param overwrite   replace an existing output folder
 * @param conf        Spark settings (spark.*, spark.hadoop.*)
 * @param answer      model, prompt, generation and execution options
 * @param progress    print progress lines on the console while answering
 */
public record JobOptions(List<String> inputs, String inputFormat, String output, boolean overwrite,
                         Map<String, String> conf, AnswerOptions answer, boolean progress) {
    public JobOptions {
        inputs = List.copyOf(inputs);
        conf = Map.copyOf(conf);
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
        answer.validated();
        return this;
    }
}
