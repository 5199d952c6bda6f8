package io.readtwice.kernels.gpu;

import io.readtwice.kernels.LinearAttentionDims;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The paper's mixer benchmark (users-and-peers.md: batch 16, 16 heads, feature dim 16, value dim 64, N = 2048 …
 * 32768) on linear_attention.cu: JRT-Prompt is the Based kernel over the doubled prompt (2N tokens, no encoder);
 * JRT-RNN is the prefix kernel with a decoder of N and an encoder of N/2. Reports median device time (CUDA events),
 * tokens per second (decoder + encoder tokens) and the fraction of peak HBM bandwidth that the bytes a perfect
 * kernel must move (q, k, v, encoder k and v read once, out and the final state written once) would take.
 * {@code bin/readtwice bench-mixer} runs it; {@link #main} does the same without the CLI (scripts/gpu).
 */
public final class MixerBenchmark {

    /**
     * @param batch   sequences per launch
     * @param heads   H
     * @param lengths N values
     * @param repeats timed runs per shape (the median is reported), after one warm-up
     * @param type    activation type of q, k, v, out
     */
    public record Settings(int batch, int heads, List<Integer> lengths, int repeats, ElementType type) {
        public static Settings paper() {
            return new Settings(16, 16, List.of(2048, 4096, 8192, 16384, 32768), 5, ElementType.BF16);
        }
    }

    /** One measured shape. */
    public record Result(String variant, int n, int decoderTokens, int encoderTokens, double ms, double tokensPerSecond,
                         double hbmFraction) {
    }

    private MixerBenchmark() {
    }

    public static void main(String[] args) {
        if (!GpuProbe.available()) {
            System.err.println("bench-mixer: no GPU: " + GpuProbe.description());
            System.exit(1);
        }
        Settings settings = Settings.paper();
        if (args.length > 0) {
            settings = new Settings(settings.batch(), settings.heads(),
                    Arrays.stream(args[0].split(",")).map(Integer::valueOf).toList(), settings.repeats(),
                    settings.type());
        }
        run(settings, System.out);
    }

    /** Runs every shape, printing a table row per measurement; needs {@link GpuProbe#available()}. */
    public static List<Result> run(Settings settings, PrintStream out) {
        LinearAttentionDims dims = new LinearAttentionDims(settings.heads(), 16, 64, 1e-12f);
        try (CudaContext context = CudaContext.open(0); GpuTimer timer = new GpuTimer(context)) {
            double peakBytesPerSecond = peakBandwidth();
            out.printf(Locale.ROOT, "# %s; peak HBM %.2f TB/s; B=%d H=%d F=16 dv=64 %s%n", GpuProbe.description(),
                    peakBytesPerSecond / 1e12, settings.batch(), settings.heads(), settings.type());
            out.printf(Locale.ROOT, "%-10s %7s %9s %9s %10s %14s %8s%n", "variant", "N", "decoder", "encoder", "ms",
                    "tokens/s", "HBM");
            LinearAttentionGpu kernels = new LinearAttentionGpu(context);
            List<Result> results = new java.util.ArrayList<>();
            for (int n : settings.lengths()) {
                results.add(measure("jrt-prompt", n, 2 * n, 0, settings, dims, context, kernels, timer,
                        peakBytesPerSecond));
                results.add(measure("jrt-rnn", n, n, n / 2, settings, dims, context, kernels, timer,
                        peakBytesPerSecond));
                for (Result r : results.subList(results.size() - 2, results.size())) {
                    out.printf(Locale.ROOT, "%-10s %7d %9d %9d %10.3f %14.4g %7.1f%%%n", r.variant(), r.n(),
                            r.decoderTokens(), r.encoderTokens(), r.ms(), r.tokensPerSecond(), 100 * r.hbmFraction());
                }
            }
            return results;
        }
    }

    private static Result measure(String variant, int n, int decoder, int encoder, Settings settings,
                                  LinearAttentionDims dims, CudaContext context, LinearAttentionGpu kernels,
                                  GpuTimer timer, double peakBytesPerSecond) {
        int b = settings.batch();
        ElementType type = settings.type();
        long keyWidth = (long) dims.heads() * dims.featureDim();
        long valueWidth = (long) dims.heads() * dims.headDim();
        long rows = (long) b * decoder;
        long encRows = (long) b * encoder;
        int[] starts = new int[b + 1];
        int[] encStarts = new int[b + 1];
        for (int s = 1; s <= b; s++) {
            starts[s] = Math.toIntExact((long) s * decoder);
            encStarts[s] = Math.toIntExact((long) s * encoder);
        }
        try (DeviceBuffer q = filled(context, type, rows * keyWidth);
             DeviceBuffer k = filled(context, type, rows * keyWidth);
             DeviceBuffer v = filled(context, type, rows * valueWidth);
             DeviceBuffer out = DeviceBuffer.allocate(context, type, rows * valueWidth);
             DeviceBuffer kEnc = encoder == 0 ? null : filled(context, type, encRows * keyWidth);
             DeviceBuffer vEnc = encoder == 0 ? null : filled(context, type, encRows * valueWidth);
             PackedSequences seqs = PackedSequences.upload(context, starts);
             PackedSequences enc = encoder == 0 ? null : PackedSequences.upload(context, encStarts);
             DeviceBuffer state = DeviceBuffer.allocate(context, ElementType.F32, (long) b * dims.stateSize())) {
            Runnable launch = () -> kernels.prefill(dims, q, k, v, kEnc, vEnc, seqs, enc, null, state, out);
            timer.time(launch);  // warm-up
            float[] ms = new float[settings.repeats()];
            for (int i = 0; i < ms.length; i++) {
                ms[i] = timer.time(launch);
            }
            Arrays.sort(ms);
            double median = ms[ms.length / 2];
            long tokens = rows + encRows;
            long bytes = type.bytes() * ((rows + encRows) * (keyWidth + valueWidth) + rows * (keyWidth + valueWidth))
                    + 4L * b * dims.stateSize();
            double seconds = median / 1e3;
            return new Result(variant, n, decoder, encoder, median, tokens / seconds,
                    bytes / seconds / peakBytesPerSecond);
        }
    }

    /** A buffer of small values (0.01·(i mod 97)), so that the scores stay finite. */
    private static DeviceBuffer filled(CudaContext context, ElementType type, long elements) {
        DeviceBuffer buffer = DeviceBuffer.allocate(context, type, elements);
        int chunk = 1 << 20;
        float[] values = new float[(int) Math.min(chunk, elements)];
        for (int i = 0; i < values.length; i++) {
            values[i] = 0.01f * (i % 97) - 0.48f;
        }
        buffer.fill(values);
        return buffer;
    }

    /** 2 · memory clock · bus width (both from the driver): 3.35 TB/s on an H100 SXM. */
    private static double peakBandwidth() {
        CUdevice device = new CUdevice();
        JCudaDriver.cuDeviceGet(device, 0);
        int[] clockKhz = new int[1];
        int[] busBits = new int[1];
        JCudaDriver.cuDeviceGetAttribute(clockKhz, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE, device);
        JCudaDriver.cuDeviceGetAttribute(busBits, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH,
                device);
        return 2.0 * clockKhz[0] * 1e3 * busBits[0] / 8.0;
    }
}
