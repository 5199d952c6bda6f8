package io.readtwice.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Runs the command line in-process with captured output, and finds the shared golden data. */
final class CliTestSupport {
    private CliTestSupport() {
    }

    /** Exit code and everything written to stdout and stderr. */
    record Run(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ReadTwiceCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** The shared docs/data folder: system property {@code readtwice.shared}, else the nearest {@code shared/golden} above. */
    static Path sharedDir() {
        String property = System.getProperty("readtwice.shared");
        if (property != null && Files.isDirectory(Paths.get(property, "golden"))) {
            return Paths.get(property);
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("shared/golden"))) {
                return dir.resolve("shared");
            }
        }
        throw new IllegalStateException("cannot find shared/golden (set -Dreadtwice.shared=DIR)");
    }

    static Path golden(String name) {
        return sharedDir().resolve("golden").resolve(name);
    }
}
