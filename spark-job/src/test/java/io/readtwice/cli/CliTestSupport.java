package io.readtwice.cli;

import io.readtwice.job.JobTestSupport;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

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

    static Path golden(String name) {
        return JobTestSupport.golden(name);
    }
}
