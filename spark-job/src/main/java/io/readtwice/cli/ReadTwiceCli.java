package io.readtwice.cli;

import io.readtwice.checkpoint.CheckpointException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;

/**
 * The {@code readtwice} command: a thin parent that owns the error handling; the work is in the subcommands.
 *
 * <p>Exit codes: 0 success, 1 a failure while running (bad checkpoint, I/O, a bug), 2 a usage error. Every error is
 * one line on stderr; {@code --verbose} adds the stack trace.
 */
@Command(name = "readtwice",
        description = "Question answering with JRT-RNN and Based language models (Just read twice, arXiv 2407.05483).",
        subcommands = {GenerateCommand.class, BenchCommand.class, BenchMixerCommand.class, TokenizeCommand.class,
                RunCommand.class, DemoCommand.class, CommandLine.HelpCommand.class},
        usageHelpAutoWidth = true)
public final class ReadTwiceCli implements Runnable {

    static final int EXIT_FAILURE = 1;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces with errors.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; tests call {@code execute} on it with their own out/err writers. */
    public static CommandLine commandLine() {
        return new CommandLine(new ReadTwiceCli())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setParameterExceptionHandler(ReadTwiceCli::handleUsageError)
                .setExecutionExceptionHandler(ReadTwiceCli::handleFailure);
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command (one of: "
                + String.join(", ", spec.subcommands().keySet()) + ")");
    }

    /** Usage errors: one line naming the command, exit 2. */
    private static int handleUsageError(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        String message = oneLine(ex.getMessage() == null ? ex.toString() : ex.getMessage());
        cmd.getErr().println(name + ": " + message + " (see '" + name + " --help')");
        if (isVerbose(args)) {
            ex.printStackTrace(cmd.getErr());
        }
        cmd.getErr().flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** Failures while running: one line, exit 1; the stack trace only with --verbose. */
    private static int handleFailure(Exception ex, CommandLine cmd, ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        boolean verbose = isVerbose(parseResult);
        err.println("readtwice: " + oneLine(describe(ex)) + (verbose || ex instanceof CheckpointException
                ? "" : " (run with --verbose for the stack trace)"));
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return EXIT_FAILURE;
    }

    private static String describe(Throwable ex) {
        if (ex instanceof UncheckedIOException && ex.getCause() != null) {
            ex = ex.getCause();
        }
        if (ex instanceof CheckpointException) {
            return "bad checkpoint: " + ex.getMessage();
        }
        if (ex instanceof NoSuchFileException) {
            return "no such file: " + ex.getMessage();
        }
        if (ex instanceof IOException) {
            return "I/O error: " + ex.getMessage();
        }
        String message = ex.getMessage();
        return ex.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /** Multi-line messages (e.g. a JSON parser's, with its location) joined into one line. */
    private static String oneLine(String message) {
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** True when -v/--verbose was given to the command or any subcommand (it is inherited). */
    private static boolean isVerbose(ParseResult parseResult) {
        for (ParseResult r = parseResult; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /** After a failed parse: true when -v/--verbose is among the raw arguments. */
    private static boolean isVerbose(String[] args) {
        for (String arg : args) {
            if (arg.equals("--")) {
                return false;
            }
            if (arg.equals("-v") || arg.equals("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
