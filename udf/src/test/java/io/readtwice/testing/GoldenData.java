package io.readtwice.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The project's shared folder (../shared: golden models, tokenizer cases, data) for tests: the system property
 * {@code readtwice.shared} (Surefire sets it), else the nearest {@code shared/} with a {@code golden/} above the
 * working directory or beside one of its parents.
 */
public final class GoldenData {
    /** Every golden model folder. */
    public static final List<String> MODELS =
            List.of("tiny-a", "tiny-b", "tiny-based-a", "tiny-gpt2-jrt", "tiny-gpt2-based");

    private GoldenData() {
    }

    public static Path shared() {
        String property = System.getProperty("readtwice.shared");
        if (property != null && Files.isDirectory(Path.of(property, "golden"))) {
            return Path.of(property);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            for (Path candidate : List.of(dir.resolve("shared"), dir.resolveSibling("shared"))) {
                if (Files.isDirectory(candidate.resolve("golden"))) {
                    return candidate;
                }
            }
        }
        throw new IllegalStateException("cannot find the project's shared/golden: put the repository next to "
                + "shared/, or run READTWICE_SHARED=/path/to/shared mvn -B verify");
    }

    /** A golden model folder, e.g. {@code model("tiny-a")}. */
    public static Path model(String name) {
        return shared().resolve("golden").resolve(name);
    }

    public static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A golden model's cases.json. */
    public static JsonNode cases(String model) {
        return readJson(model(model).resolve("cases.json"));
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    public static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}
