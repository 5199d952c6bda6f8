package io.readtwice.job;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/** Checks the output folder before any work, and writes small files (the summary) into it. */
final class Outputs {
    static final String SUMMARY = "_readtwice_summary.json";

    private Outputs() {
    }

    /** Fails unless the output can be written: absent (or --overwrite), not an input, and writable. */
    static void checkWritable(SparkSession spark, String output, boolean overwrite, List<String> inputs) {
        try {
            Path path = new Path(output);
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            Path qualified = fs.makeQualified(path);
            for (String input : inputs) {
                Path in = new Path(input);
                Path inQualified = in.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(in);
                if (inQualified.equals(qualified)) {
                    throw new ReadTwiceException("--output " + output + " is also an --input; write elsewhere");
                }
            }
            boolean existed = fs.exists(path);
            if (existed && !overwrite) {
                throw new ReadTwiceException("--output " + output + " already exists; pass --overwrite to replace it "
                        + "or choose another folder");
            }
            if (existed && fs.getFileStatus(path).isFile()) {
                throw new ReadTwiceException("--output " + output + " is a file; it must be a folder");
            }
            Path probe = new Path(path, "_readtwice_probe_" + UUID.randomUUID());
            try (FSDataOutputStream out = fs.create(probe, false)) {
                out.write(0);
            }
            fs.delete(probe, false);
            if (!existed) {
                fs.delete(path, true);
            }
        } catch (IOException e) {
            throw new ReadTwiceException("--output " + output + " is not writable: "
                    + Inputs.firstLine(e.getMessage()), e);
        }
    }

    static void writeText(SparkSession spark, String folder, String name, String text) throws IOException {
        Path path = new Path(folder, name);
        FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
        try (FSDataOutputStream out = fs.create(path, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
