package io.readtwice.cli;

import io.readtwice.kernels.gpu.ElementType;
import io.readtwice.kernels.gpu.GpuProbe;
import io.readtwice.kernels.gpu.MixerBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code readtwice bench-mixer}: the paper's linear-attention mixer benchmark on the GPU kernels
 * ({@link MixerBenchmark}). Without a GPU: one line on stderr, exit 1.
 */
@Command(name = "bench-mixer",
        description = {"Time the JRT-RNN and Based (JRT-Prompt) linear-attention GPU kernels at the paper's mixer shapes:"
                + " JRT-Prompt = Based over 2N tokens, JRT-RNN = decoder N + encoder N/2. Prints ms, tokens/s and the"
                + " fraction of peak HBM bandwidth per N. Needs an NVIDIA GPU (sm_80 or newer)."},
        sortOptions = false)
final class BenchMixerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--lengths", paramLabel = "N", split = ",", defaultValue = "2048,4096,8192,16384,32768",
            description = "Sequence lengths N (default: ${DEFAULT-VALUE}).")
    List<Integer> lengths;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "16", description = "Sequences (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--heads", paramLabel = "H", defaultValue = "16", description = "Heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--repeats", paramLabel = "R", defaultValue = "5",
            description = "Timed runs per shape after one warm-up; the median is reported (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "BF16",
            description = "Activation type: BF16 or F32 (default: ${DEFAULT-VALUE}).")
    ElementType type;

    @Override
    public Integer call() {
        if (batch < 1 || heads < 1 || repeats < 1 || lengths.stream().anyMatch(n -> n < 2)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--batch, --heads and --repeats must be positive and every --lengths value at least 2");
        }
        if (type == ElementType.I32) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--type must be BF16 or F32");
        }
        if (!GpuProbe.available()) {
            spec.commandLine().getErr().println("readtwice bench-mixer: no GPU: " + GpuProbe.description());
            spec.commandLine().getErr().flush();
            return ReadTwiceCli.EXIT_FAILURE;
        }
        PrintStream out = new PrintStream(new WriterOutputStream(spec.commandLine().getOut()), true,
                StandardCharsets.UTF_8);
        MixerBenchmark.run(new MixerBenchmark.Settings(batch, heads, lengths, repeats, type), out);
        out.flush();
        return 0;
    }

    /** picocli hands out a PrintWriter; the benchmark prints to a PrintStream. */
    private static final class WriterOutputStream extends java.io.OutputStream {
        private final java.io.PrintWriter writer;

        WriterOutputStream(java.io.PrintWriter writer) {
            this.writer = writer;
        }

        @Override
        public void write(int b) {
            writer.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writer.write(new String(b, off, len, StandardCharsets.UTF_8));
        }

        @Override
        public void flush() {
            writer.flush();
        }
    }
}
