package io.readtwice.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The model and samples bundled for {@code readtwice demo}. The model is a tiny JRT-RNN trained on synthetic recall
 * documents ({@code notebooks/training}, see its README), stored as fp16 in the hub's layout; the loader reads
 * folders, so it is copied out of the jar into the demo's work folder. (The Based model trained beside it is not
 * bundled: a second 15 MB file would not fit the 64 MiB a GPU test run may carry.)
 */
public final class DemoModel {
    private static final String RESOURCES = "/io/readtwice/demo/";

    private DemoModel() {
    }

    /** What the demo says about its model. */
    public static final String DESCRIPTION = "tiny JRT-RNN trained on synthetic recall (7.5M parameters, fp16)";
    private static final String MODEL_FOLDER = "jrt-recall";

    /** A bundled question set and the task whose prompt template fits it. */
    public enum Sample {
        /** Synthetic single-record documents from the evaluation split (names never seen in training). */
        RECALL("recall-sample.jsonl", "fda"),
        /** SQuAD 2.0 dev questions: real text, far outside what the tiny models were trained on. */
        SQUAD("squad-sample.jsonl", "squad");

        private final String file;
        private final String task;

        Sample(String file, String task) {
            this.file = file;
            this.task = task;
        }

        public String task() {
            return task;
        }

        public static Sample parse(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--sample must be recall or squad, got '" + name + "'");
            }
        }
    }

    /** Copies the bundled model into {@code dir} (config.json + model.safetensors) and returns {@code dir}. */
    public static Path extract(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String file : List.of("config.json", "model.safetensors")) {
                try (InputStream in = resource(MODEL_FOLDER + "/" + file)) {
                    Files.copy(in, dir.resolve(file));
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo model into " + dir, e);
        }
    }

    /** The first {@code rows} questions of a bundled sample, copied into {@code file}. */
    public static Path sample(Sample sample, Path file, int rows) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(resource(sample.file),
                StandardCharsets.UTF_8))) {
            List<String> lines = r.lines().limit(rows).toList();
            Files.createDirectories(file.getParent());
            Files.write(file, lines, StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo sample to " + file, e);
        }
    }

    /** How many questions a bundled sample holds. */
    public static int size(Sample sample) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(resource(sample.file),
                StandardCharsets.UTF_8))) {
            return (int) r.lines().filter(l -> !l.isBlank()).count();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the demo sample " + sample.file, e);
        }
    }

    static InputStream resource(String name) {
        InputStream in = DemoModel.class.getResourceAsStream(RESOURCES + name);
        if (in == null) {
            throw new IllegalStateException("missing resource " + RESOURCES + name
                    + " (the bundled demo files are part of the source tree: spark-job/src/main/resources)");
        }
        return in;
    }
}
