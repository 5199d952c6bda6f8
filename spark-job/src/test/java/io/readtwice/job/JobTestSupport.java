package io.readtwice.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Shared pieces of the Spark job tests: the golden folder, a SQuAD subset, a local session. */
public final class JobTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();

    private JobTestSupport() {
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

    public static Path golden(String model) {
        return shared().resolve("golden").resolve(model);
    }

    static JsonNode cases(String model) {
        try {
            return JSON.readTree(golden(model).resolve("cases.json").toFile()).get("cases");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code rows} questions spread over ../shared/data/squad-v2-dev-sample.jsonl (every 29th line), as JSONL. */
    static Path squadSubset(Path file, int rows) {
        try {
            List<String> lines = Files.readAllLines(shared().resolve("data/squad-v2-dev-sample.jsonl"),
                    StandardCharsets.UTF_8);
            List<String> picked = new ArrayList<>();
            for (int i = 0; i < lines.size() && picked.size() < rows; i += 29) {
                picked.add(lines.get(i));
            }
            Files.createDirectories(file.getParent());
            Files.write(file, picked, StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** local[2] on loopback, no UI. */
    static SparkSession session() {
        return SparkSession.builder().master("local[2]").appName("readtwice-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }

    static PrintWriter console(StringWriter sink) {
        return new PrintWriter(sink, true);
    }

    static JsonNode summary(Path output) {
        try {
            return JSON.readTree(output.resolve(Outputs.SUMMARY).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
