package io.readtwice.notebook.kernel;

import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.execution.LocalExecutionControlProvider;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.BaseKernelBuilder;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.JupyterIO;
import org.dflib.jjava.jupyter.kernel.comm.CommManager;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.common.Image;
import org.dflib.jjava.jupyter.kernel.history.HistoryManager;
import org.dflib.jjava.jupyter.kernel.magic.MagicParser;
import org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry;
import org.dflib.jjava.jupyter.kernel.util.StringStyler;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Java Jupyter kernel: JJava's protocol library ({@code org.dflib.jjava:jjava-jupyter}, the part of JJava that
 * Maven Central serves) with cells evaluated by JShell in this JVM. Cells see the kernel's classpath (Spark, this
 * module's helpers) and the static helpers of {@code BaseNotebookStatics}, so {@code display(image)} shows a
 * {@link java.awt.image.RenderedImage} as PNG.
 *
 * <p>A cell is split into JShell snippets; the first that does not compile or throws fails the cell, with the
 * compiler's messages or the exception's stack trace, so {@code jupyter nbconvert --execute} stops there. The value of
 * a cell that ends in an expression without a semicolon is shown as text.
 *
 * <p>Put a notebook's imports in its first cell: JShell re-declares existing variables that a later on-demand import
 * might affect, and a re-declared variable loses its value.
 */
public final class JavaKernel extends BaseKernel {
    /** Imported in every notebook before its first cell. */
    static final List<String> STARTUP = List.of(
            "import java.util.*;",
            "import java.util.stream.*;",
            "import java.nio.file.*;",
            "import static org.dflib.jjava.jupyter.kernel.BaseNotebookStatics.*;");

    private final JShell shell;

    private JavaKernel(String name, String version, HistoryManager history, JupyterIO io, CommManager comms,
                       MagicParser magics, MagicsRegistry magicsRegistry, boolean extensions, StringStyler errors) {
        super(name, version, new LanguageInfo.Builder("Java").version(Runtime.version().toString())
                        .mimetype("text/x-java-source").fileExtension(".jshell").pygments("java").codemirror("java")
                        .build(), List.of(), history, io, comms, new Renderer(), magics, magicsRegistry, extensions,
                errors);
        Image.registerAll(getRenderer());
        // Local execution: snippets run in this JVM, with a class loader under the application one, so they share
        // the kernel's classes (display() reaches this kernel) and its System.out, which BaseKernel sends to the cell.
        shell = JShell.builder().executionEngine(new LocalExecutionControlProvider(), Map.of()).build();
        shell.addToClasspath(System.getProperty("java.class.path"));
        for (String s : STARTUP) {
            try {
                evalRaw(s);
            } catch (Exception e) {
                throw new IllegalStateException("kernel startup snippet failed: " + s, e);
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A failed cell: the compiler's messages or the exception a snippet threw. */
    public static final class CellException extends RuntimeException {
        CellException(String message, Throwable cause) {
            super(message, cause, false, cause != null);
            if (cause != null) {
                setStackTrace(cause.getStackTrace());
            }
        }
    }

    @Override
    public Object evalRaw(String code) {
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        String remaining = code;
        String value = null;
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            if (!info.completeness().isComplete()) {
                throw new CellException("incomplete code at: " + firstLine(remaining), null);
            }
            value = evalSnippet(info.source());
            remaining = info.remaining();
        }
        return value;
    }

    /** Evaluates one snippet; returns its value when it is an expression, else null. */
    private String evalSnippet(String source) {
        String value = null;
        for (SnippetEvent event : shell.eval(source)) {
            if (event.exception() != null) {
                throw failure(event.exception(), source);
            }
            Snippet snippet = event.snippet();
            if (event.status() == Snippet.Status.REJECTED) {
                List<String> messages = new ArrayList<>();
                shell.diagnostics(snippet).forEach(d -> messages.add(describe(d, snippet.source())));
                throw new CellException("does not compile:\n" + String.join("\n", messages), null);
            }
            boolean expression = snippet.kind() == Snippet.Kind.EXPRESSION
                    || snippet.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND;
            // as in IPython, a trailing semicolon hides the value (display(x); returns an id nobody wants to see)
            if (event.causeSnippet() == null && expression && !source.strip().endsWith(";")) {
                value = event.value();
            }
        }
        return value;
    }

    private static CellException failure(Exception e, String source) {
        if (e instanceof UnresolvedReferenceException u) {
            return new CellException("unresolved reference in " + u.getSnippet().source().strip()
                    + " (a declaration it needs did not compile)", e);
        }
        if (e instanceof EvalException ee) {
            return new CellException(ee.getExceptionClassName() + ": " + ee.getMessage() + "\n  in: "
                    + firstLine(source), ee);
        }
        return new CellException(e.toString(), e);
    }

    private static String describe(Diag d, String source) {
        long start = Math.max(0, d.getStartPosition());
        int line = 1;
        for (int i = 0; i < start && i < source.length(); i++) {
            if (source.charAt(i) == '\n') {
                line++;
            }
        }
        String[] lines = source.split("\n", -1);
        String text = line - 1 < lines.length ? lines[line - 1].strip() : "";
        return "  line " + line + ": " + d.getMessage(Locale.ROOT) + "\n    " + text;
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl) + " …";
    }

    @Override
    public DisplayData inspect(String code, int at, boolean extraDetail) {
        return null;
    }

    @Override
    public ReplacementOptions complete(String code, int at) {
        int[] anchor = new int[1];
        List<String> options = new ArrayList<>();
        for (SourceCodeAnalysis.Suggestion s : shell.sourceCodeAnalysis().completionSuggestions(code, at, anchor)) {
            options.add(s.continuation());
        }
        return new ReplacementOptions(options, anchor[0], at);
    }

    @Override
    public String isComplete(String code) {
        return switch (shell.sourceCodeAnalysis().analyzeCompletion(code).completeness()) {
            case COMPLETE, COMPLETE_WITH_SEMI, EMPTY -> IS_COMPLETE_YES;
            case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> IS_COMPLETE_MAYBE;
            case UNKNOWN -> IS_COMPLETE_BAD;
        };
    }

    @Override
    public void onShutdown(boolean restart) {
        shell.close();
        super.onShutdown(restart);
    }

    /** Names the kernel; everything else is BaseKernelBuilder's default. Cells have no magics. */
    public static final class Builder extends BaseKernelBuilder<Builder, JavaKernel> {
        private Builder() {
            name("readtwice-java");
            version(String.valueOf(Runtime.version().feature()));
        }

        @Override
        public JavaKernel build() {
            return new JavaKernel(buildName(), buildVersion(), buildHistoryManager(),
                    buildJupyterIO(buildJupyterIOEncoding()), buildCommManager(),
                    new MagicParser("(?<=(?:^|=))\\s*%", "%%", buildMagicTranspiler()), buildMagicsRegistry(),
                    buildExtensionsEnabled(), buildErrorStyler());
        }
    }
}
