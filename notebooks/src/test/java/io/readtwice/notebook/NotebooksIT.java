package io.readtwice.notebook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Executes every notebook in notebooks/ headless, as a user would: two fresh runs of {@code bin/readtwice run} with
 * the golden tiny JRT-RNN model over the same 42 SQuAD rows (two of them bad), {@code default} and {@code twice},
 * with Spark's event log on; then {@code notebooks/jupyter-kernel install DIR} and
 * {@code jupyter nbconvert --execute} per notebook. Each must finish without an error output and write its figures,
 * which must be PNGs with something drawn on them.
 *
 * <p>Needs Debian's {@code jupyter-nbconvert}. Without {@code jupyter} on the PATH the test fails under CI (the
 * environment variable CI is set) and is skipped, with a message, elsewhere.
 */
class NotebooksIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The figures each notebook writes under READTWICE_FIGURES/NAME/. */
    private static final Map<String, List<String>> FIGURES = Map.of(
            "compare-prompts", List.of("accuracy_by_task.png", "accuracy_by_length.png", "agreement.png"),
            "throughput", List.of("wall_seconds_by_stage.png", "tokens_per_second.png",
                    "executor_tokens_per_second.png", "task_tokens_vs_seconds.png", "prompt_tokens.png",
                    "generated_tokens.png", "truncation_and_errors.png"));

    private static Path root;

    @TempDir
    static Path tmp;

    /** Fails under CI, skips (a visible assumption message) elsewhere, when there is no jupyter. */
    private static void requireJupyter() {
        if (!onPath("jupyter")) {
            String message = "jupyter is not on the PATH: install Debian's jupyter-nbconvert "
                    + "(apt-get install jupyter-nbconvert) to execute the notebooks";
            if (System.getenv("CI") != null) {
                fail(message + " (CI is set, so this is a failure, not a skip)");
            }
            Assumptions.abort(message);
        }
    }

    @Test
    void everyNotebookRunsOnAFreshRunAndDrawsItsFigures() throws Exception {
        requireJupyter();
        root = root();
        Path input = input(tmp.resolve("squad.jsonl"));
        Path events = Files.createDirectories(tmp.resolve("spark-events"));
        List<String> runs = new ArrayList<>();
        for (String strategy : List.of("default", "twice")) {
            Path output = tmp.resolve("answers-" + strategy);
            run(List.of(root.resolve("bin/readtwice").toString(), "run", "--input", input.toString(),
                    "--output", output.toString(), "--model", shared().resolve("golden/tiny-gpt2-jrt").toString(),
                    "--task", "squad", "--strategy", strategy, "--max-new-tokens", "8", "--max-length", "320",
                    "--partitions", "4", "--quiet", "--conf", "spark.master=local[2]",
                    "--conf", "spark.eventLog.enabled=true", "--conf", "spark.eventLog.dir=" + events.toUri()),
                    Map.of(), tmp.resolve("run-" + strategy + ".log"));
            runs.add(output.toString());
        }
        Path jupyter = tmp.resolve("jupyter");
        run(List.of(root.resolve("notebooks/jupyter-kernel").toString(), "install", jupyter.toString()), Map.of(),
                tmp.resolve("install-kernel.log"));

        List<Path> notebooks;
        try (Stream<Path> files = Files.list(root.resolve("notebooks"))) {
            notebooks = files.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
        }
        assertEquals(FIGURES.keySet(), new HashSet<>(notebooks.stream().map(NotebooksIT::name).toList()),
                "every notebook has its expected figures listed here");
        Path figures = tmp.resolve("figures");
        Path executed = tmp.resolve("executed");
        for (Path notebook : notebooks) {
            String name = name(notebook);
            long start = System.nanoTime();
            run(List.of("jupyter", "nbconvert", "--to", "notebook", "--execute",
                            "--ExecutePreprocessor.timeout=600", "--output-dir", executed.toString(), notebook.toString()),
                    Map.of("JUPYTER_PATH", jupyter.toString(),
                            "JUPYTER_DATA_DIR", tmp.resolve("jupyter-data").toString(),
                            "JUPYTER_RUNTIME_DIR", tmp.resolve("jupyter-runtime").toString(),
                            "JUPYTER_CONFIG_DIR", tmp.resolve("jupyter-config").toString(),
                            "READTWICE_RUNS", String.join(",", runs),
                            "READTWICE_EVENT_LOGS", events.toString(),
                            "READTWICE_FIGURES", figures.toString()),
                    tmp.resolve("nbconvert-" + name + ".log"));
            System.out.printf("%s executed in %.1f s%n", notebook.getFileName(), (System.nanoTime() - start) / 1e9);

            JsonNode result = JSON.readTree(executed.resolve(notebook.getFileName()).toFile());
            int images = 0;
            for (JsonNode cell : result.path("cells")) {
                if (!cell.path("cell_type").asText().equals("code")) {
                    continue;
                }
                assertTrue(cell.path("execution_count").isInt(), name + ": a code cell did not run: " + cell);
                for (JsonNode out : cell.path("outputs")) {
                    assertTrue(!out.path("output_type").asText().equals("error"), name + ": error output " + out);
                    if (out.path("data").has("image/png")) {
                        images++;
                    }
                }
            }
            assertEquals(FIGURES.get(name).size(), images, name + ": figures shown inline");
            for (String figure : FIGURES.get(name)) {
                checkFigure(figures.resolve(name).resolve(figure));
            }
        }
    }

    /** A PNG that decodes, of a chart's size, with more than a blank background drawn on it. */
    private static void checkFigure(Path png) throws IOException {
        assertTrue(Files.isRegularFile(png), "missing figure " + png);
        assertTrue(Files.size(png) > 4000, png + " is only " + Files.size(png) + " bytes");
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, png + " is not a readable PNG");
        assertTrue(image.getWidth() >= 600 && image.getHeight() >= 300,
                png + " is " + image.getWidth() + "x" + image.getHeight());
        Set<Integer> colours = new HashSet<>();
        long drawn = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                if (rgb != 0xFFFFFF) {
                    drawn++;
                }
            }
        }
        assertTrue(colours.size() > 8, png + " has " + colours.size() + " colours");
        assertTrue(drawn > image.getWidth() * (long) image.getHeight() / 100, png + " is almost blank");
    }

    /** Runs a command to its end (at most 10 minutes), its output in {@code log}; fails with the log's tail. */
    private static void run(List<String> command, Map<String, String> env, Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        boolean done = p.waitFor(10, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly();
        }
        if (!done || p.exitValue() != 0) {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            fail(String.join(" ", command) + (done ? " exited with " + p.exitValue() : " timed out") + "; last lines:\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())));
        }
    }

    /** 40 SQuAD questions (every 29th line of the shared sample) and two rows that fail: a null question, an empty document. */
    private static Path input(Path file) throws IOException {
        List<String> lines = Files.readAllLines(shared().resolve("data/squad-v2-dev-sample.jsonl"),
                StandardCharsets.UTF_8);
        List<String> picked = new ArrayList<>();
        for (int i = 0; i < lines.size() && picked.size() < 40; i += 29) {
            picked.add(lines.get(i));
        }
        picked.add("{\"id\": \"bad-null-question\", \"title\": \"Broken\", \"context\": \"A document.\", "
                + "\"question\": null, \"answers\": [\"x\"], \"is_impossible\": false}");
        picked.add("{\"id\": \"bad-empty-context\", \"title\": \"Broken\", \"context\": \"\", "
                + "\"question\": \"What is missing?\", \"answers\": [\"context\"], \"is_impossible\": false}");
        Files.write(file, picked, StandardCharsets.UTF_8);
        return file;
    }

    private static String name(Path notebook) {
        String f = notebook.getFileName().toString();
        return f.substring(0, f.length() - ".ipynb".length());
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    static Path root() {
        String property = System.getProperty("readtwice.root");
        if (property != null && Files.isDirectory(Path.of(property, "notebooks"))) {
            return Path.of(property).toAbsolutePath();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("notebooks/jupyter-kernel"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the repository root (notebooks/jupyter-kernel)");
    }

    static Path shared() {
        String property = System.getProperty("readtwice.shared");
        if (property != null && Files.isDirectory(Path.of(property, "golden"))) {
            return Path.of(property);
        }
        Path sibling = root().resolveSibling("shared");
        if (Files.isDirectory(sibling.resolve("golden"))) {
            return sibling;
        }
        throw new IllegalStateException("cannot find shared/golden: set -Dreadtwice.shared=<path to shared/>");
    }
}
