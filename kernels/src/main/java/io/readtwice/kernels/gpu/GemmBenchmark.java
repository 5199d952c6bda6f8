package io.readtwice.kernels.gpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Device time of the model's GEMMs alone, against the dense bf16 tensor-core peak ({@link TensorCorePeak}): what
 * {@code readtwice bench --backend gpu} reports as {@code gemm_tflops}, {@code tensor_core_peak_tflops} and
 * {@code gemm_peak_fraction}. The shapes are the two that carry ~87 % of the model's FLOPs (gpu-notes §3.3):
 * {@code [rows, d] · [2·h, d]ᵀ} (MLP fc1, also BaseConv's in_proj) and {@code [rows, h] · [d, h]ᵀ} (fc2, also
 * out_proj), with the bias epilogue and float32 output that {@link GpuBackend#linear} launches, at the rows one
 * launch of the backend gets ({@link #rows}). Timed with CUDA events: median of {@code repeats} runs of
 * {@value #LAUNCHES} back-to-back launches, after a warm-up (which also runs GemmLauncher's self-check).
 */
public final class GemmBenchmark {
    static final int LAUNCHES = 5;

    /** One GEMM: C[rows, n] = A[rows, k] · B[n, k]ᵀ. */
    public record Shape(String name, int n, int k) {
    }

    /**
     * @param tflopsByShape per shape, TFLOP/s
     * @param kernel        "wgmma" or "mma.sync": what GemmLauncher dispatched these shapes to
     */
    public record Result(int rows, double tflops, double peakTflops, String kernel, Map<String, Double> tflopsByShape,
                         String device) {
        /** tflops ÷ peakTflops (NaN when the peak is unknown). */
        public double peakFraction() {
            return tflops / peakTflops;
        }
    }

    private GemmBenchmark() {
    }

    /** Rows of one GEMM launch of the backend for a prefill of {@code batch} prompts of {@code promptTokens}. */
    public static int rows(int promptTokens, int batch) {
        return (int) Math.min((long) promptTokens * batch, GpuBackend.ROWS_PER_BLOCK);
    }

    /** fc1 / in_proj and fc2 / out_proj of a model with width {@code dModel} and MLP hidden size {@code mlpHidden}. */
    public static List<Shape> modelShapes(int dModel, int mlpHidden) {
        return List.of(new Shape("fc1", 2 * mlpHidden, dModel), new Shape("fc2", dModel, mlpHidden));
    }

    /** Measures {@code shapes} at {@code rows} rows on device 0 (its own context, closed afterwards). */
    public static Result run(int rows, List<Shape> shapes, int repeats) {
        try (CudaContext context = CudaContext.open(0); GpuTimer timer = new GpuTimer(context)) {
            GemmLauncher gemm = new GemmLauncher(context);
            Set<GemmEpilogue> epilogue = EnumSet.of(GemmEpilogue.BIAS);
            double flops = 0;
            double seconds = 0;
            Map<String, Double> byShape = new LinkedHashMap<>();
            List<String> kernels = new ArrayList<>();
            for (Shape s : shapes) {
                try (DeviceBuffer a = filled(context, ElementType.BF16, (long) rows * s.k());
                     DeviceBuffer b = filled(context, ElementType.BF16, (long) s.n() * s.k());
                     DeviceBuffer bias = filled(context, ElementType.F32, s.n());
                     DeviceBuffer c = DeviceBuffer.allocate(context, ElementType.F32, (long) rows * s.n())) {
                    Runnable launches = () -> {
                        for (int i = 0; i < LAUNCHES; i++) {
                            gemm.gemm(a.pointer(), b.pointer(), bias.pointer(), c.pointer(), rows, s.n(), s.k(), s.n(),
                                    epilogue, null);
                        }
                    };
                    timer.time(launches);  // warm-up (and the self-check on first use)
                    float[] ms = new float[Math.max(1, repeats)];
                    for (int r = 0; r < ms.length; r++) {
                        ms[r] = timer.time(launches) / LAUNCHES;
                    }
                    Arrays.sort(ms);
                    double median = ms[ms.length / 2] / 1e3;
                    double f = GemmLauncher.flops(rows, s.n(), s.k());
                    byShape.put(s.name(), f / median / 1e12);
                    flops += f;
                    seconds += median;
                    String k = gemm.kernelFor(rows, s.n());
                    if (!kernels.contains(k)) {
                        kernels.add(k);
                    }
                }
            }
            return new Result(rows, flops / seconds / 1e12, TensorCorePeak.tflops(context, 0), String.join("+", kernels),
                    byShape, GpuProbe.description());
        }
    }

    /** Small values (0.01·(i mod 97) − 0.48) so that the sums stay finite. */
    private static DeviceBuffer filled(CudaContext context, ElementType type, long elements) {
        DeviceBuffer buffer = DeviceBuffer.allocate(context, type, elements);
        float[] values = new float[(int) Math.min(1 << 20, elements)];
        for (int i = 0; i < values.length; i++) {
            values[i] = 0.01f * (i % 97) - 0.48f;
        }
        buffer.fill(values);
        return buffer;
    }

    /** {@code java … GemmBenchmark [rows] [d] [h]}: one line; without a GPU, the reason on stderr and exit 1. */
    public static void main(String[] args) {
        if (!GpuProbe.available()) {
            System.err.println("gemm benchmark: no GPU: " + GpuProbe.description());
            System.exit(1);
        }
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : GpuBackend.ROWS_PER_BLOCK;
        int d = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int h = args.length > 2 ? Integer.parseInt(args[2]) : 2 * d;
        Result r = run(rows, modelShapes(d, h), 5);
        System.out.printf(java.util.Locale.ROOT, "%s: rows %d, %s: %.1f TFLOP/s = %.1f%% of %.0f %s%n", r.device(),
                rows, r.kernel(), r.tflops(), 100 * r.peakFraction(), r.peakTflops(), r.tflopsByShape());
    }
}
