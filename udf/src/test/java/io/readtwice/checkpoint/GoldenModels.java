package io.readtwice.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Finds the shared golden checkpoints: system property {@code readtwice.shared}, else a {@code shared/} above. */
final class GoldenModels {
    static final List<String> NAMES = List.of("tiny-a", "tiny-b", "tiny-based-a", "tiny-gpt2-jrt", "tiny-gpt2-based");

    private GoldenModels() {
    }

    static Path dir(String name) {
        return goldenRoot().resolve(name);
    }

    static Path goldenRoot() {
        String property = System.getProperty("readtwice.shared");
        if (property != null && Files.isDirectory(Path.of(property, "golden"))) {
            return Path.of(property, "golden");
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("golden");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("golden data not found: set -Dreadtwice.shared=<path to shared/>");
    }
}
