package io.readtwice.demo;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the training code's Python (Debian's python3 with python3-torch) from tests. Where it is missing the test is
 * skipped with the reason, except on CI (CI=true), which installs it, so there a missing torch is a failure.
 */
final class PythonTorch {
    /** notebooks/training, from spark-job's working directory. */
    static final Path TRAINING = Path.of("..", "notebooks", "training").toAbsolutePath().normalize();

    private PythonTorch() {
    }

    /** The interpreter: $READTWICE_PYTHON, else Debian's /usr/bin/python3, else python3 on the PATH. */
    static String interpreter() {
        String configured = System.getenv("READTWICE_PYTHON");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    /** Why torch cannot be used (null: it can), found once per JVM: starting python and torch takes seconds. */
    private static String missing;
    private static boolean probed;

    /** Skips (or, on CI, fails) unless the interpreter imports torch. */
    static synchronized void assume() {
        if (!probed) {
            missing = probe();
            probed = true;
        }
        if (missing != null && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI installs python3-torch, yet " + missing);
        }
        Assumptions.assumeTrue(missing == null, missing);
    }

    private static String probe() {
        String why = null;
        try {
            Result r = run(List.of("-c", "import torch"), 120);
            if (r.exit() != 0) {
                why = interpreter() + " cannot import torch (apt-get install python3-torch): " + r.output().strip();
            }
        } catch (IOException e) {
            why = "no " + interpreter() + ": " + e.getMessage();
        }
        return why;
    }

    record Result(int exit, String output) {
    }

    /** Runs the interpreter in notebooks/training with {@code args}; output is stdout and stderr together. */
    static Result run(List<String> args, int timeoutSeconds) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(interpreter());
        command.addAll(args);
        // Output goes to a file: a full pipe would block the child while we wait for it.
        Path log = Files.createTempFile("readtwice-python-", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(TRAINING.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        String shared = System.getProperty("readtwice.shared");
        if (shared != null) {
            // the golden data the build found, wherever shared/ is (test_parity.py reads READTWICE_GOLDEN)
            builder.environment().put("READTWICE_GOLDEN", Path.of(shared, "golden").toString());
        }
        Process p = builder.start();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(command + " ran longer than " + timeoutSeconds + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        try {
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
