package io.readtwice.kernels.gpu;

import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.kernels.cpu.Bf16Matrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * gemm.cu against a float64 reference on the same bf16-rounded inputs: only the fp32 summation order differs, so the
 * tolerance is tight (1e-3·max|ref| + 1e-4). Needs a GPU; skipped with the probe's reason elsewhere.
 */
@Tag("gpu")
class GemmGpuTest {
    private static GpuBackend backend;

    @BeforeEach
    void open() {
        assumeTrue(GpuProbe.available(), "no GPU: " + GpuProbe.description());
        if (backend == null) {
            backend = new GpuBackend(1);
        }
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void linearWithBiasMatchesTheReferenceOnRaggedShapesAndSeveralStagedBlocks() {
        Random random = new Random(1);
        // The last is the tied lm_head over the padded GPT-2 vocabulary (50264 = 392 tiles of 128 + 88 columns): the
        // full-vocabulary golden models that would cover it do not fit the GPU run's carry (docs/gpu.md).
        int[][] shapes = {{1, 8, 8}, {37, 200, 72}, {300, 520, 1024}, {2 * GpuBackend.ROWS_PER_BLOCK + 37, 136, 64},
                {3, 50264, 64}};
        for (int[] shape : shapes) {
            int m = shape[0];
            int n = shape[1];
            int k = shape[2];
            float[] x = randoms(random, m * k);
            float[] w = randoms(random, n * k);
            float[] bias = randoms(random, n);
            Matrix weights = backend.matrix(w, n, k, WeightPrecision.BF16);
            float[] y = new float[m * n];
            backend.linear(x, 0, m, weights, bias, y, 0);
            assertClose(reference(x, w, bias, m, n, k), y, m * n, "linear " + m + "×" + k + "→" + n);
        }
    }

    @Test
    void swiGluAndResidualEpiloguesMatchTheirDefinitions() {
        Random random = new Random(2);
        int m = 77;
        int hidden = 48;
        int k = 96;
        float[] x = randoms(random, m * k);
        float[] fc1 = randoms(random, 2 * hidden * k);
        float[] z = reference(x, fc1, null, m, 2 * hidden, k);
        float[] expected = new float[m * hidden];
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < hidden; j++) {
                float u = z[r * 2 * hidden + j];
                float g = z[r * 2 * hidden + hidden + j];
                expected[r * hidden + j] = (float) (u * g / (1 + Math.exp(-g)));
            }
        }
        CudaContext context = CudaContext.open(0);
        GemmLauncher gemm = new GemmLauncher(context);
        try (DeviceBuffer a = DeviceBuffer.of(context, ElementType.BF16, x);
             DeviceBuffer b = DeviceBuffer.of(context, ElementType.BF16, SwiGluLayout.interleave(fc1, hidden, k));
             DeviceBuffer c = DeviceBuffer.allocate(context, ElementType.F32, (long) m * hidden)) {
            gemm.gemm(a.pointer(), b.pointer(), null, c.pointer(), m, 2 * hidden, k, hidden,
                    EnumSet.of(GemmEpilogue.SWIGLU), null);
            float[] got = new float[m * hidden];
            c.download(got);
            assertClose(expected, got, got.length, "SwiGLU epilogue");

            // residual: C starts as r, C += x·wᵀ
            float[] w = randoms(random, hidden * k);
            float[] residual = randoms(random, m * hidden);
            float[] sum = reference(x, w, null, m, hidden, k);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += residual[i];
            }
            try (DeviceBuffer wb = DeviceBuffer.of(context, ElementType.BF16, w)) {
                c.upload(residual);
                gemm.gemm(a.pointer(), wb.pointer(), null, c.pointer(), m, hidden, k, hidden,
                        Set.of(GemmEpilogue.ACCUMULATE), null);
                c.download(got);
                assertClose(sum, got, got.length, "residual epilogue");
            }
        }
    }

    /**
     * gemm_bf16_wgmma launched directly (no dispatch, no self-check) against the float64 reference: ragged shapes,
     * K off the 64-wide k-tile, more than one CTA row and column, the LM-head width, every epilogue. sm_90 only.
     */
    @Test
    void wgmmaKernelMatchesTheReferenceWithEveryEpilogue() {
        CudaContext context = CudaContext.open(0);
        assumeTrue(context.computeCapability() == 90, "gemm_bf16_wgmma needs sm_90: " + GpuProbe.description());
        GemmLauncher gemm = GemmLauncher.unchecked(context);
        Random random = new Random(3);
        int[][] shapes = {{1, 8, 8}, {37, 200, 72}, {300, 520, 1024}, {700, 1100, 264}, {129, 257, 136},
                {3, 50264, 64}};
        for (int[] shape : shapes) {
            int m = shape[0];
            int n = shape[1];
            int k = shape[2];
            float[] x = randoms(random, m * k);
            float[] w = randoms(random, n * k);
            float[] bias = randoms(random, n);
            float[] expected = reference(x, w, bias, m, n, k);
            float[] got = run(context, gemm, GemmSelfCheck.Choice.WGMMA, x, w, bias, null, m, n, k,
                    EnumSet.of(GemmEpilogue.BIAS));
            assertClose(expected, got, m * n, "wgmma bias " + m + "×" + k + "→" + n);
        }
        int m = 333;
        int hidden = 136;
        int k = 200;
        float[] x = randoms(random, m * k);
        float[] w = randoms(random, 2 * hidden * k);
        float[] bias = randoms(random, 2 * hidden);
        float[] plain = reference(x, w, null, m, 2 * hidden, k);
        assertClose(plain, run(context, gemm, GemmSelfCheck.Choice.WGMMA, x, w, null, null, m, 2 * hidden, k,
                EnumSet.noneOf(GemmEpilogue.class)), plain.length, "wgmma, no epilogue");
        float[] bf16 = run(context, gemm, GemmSelfCheck.Choice.WGMMA, x, w, null, null, m, 2 * hidden, k,
                EnumSet.of(GemmEpilogue.OUT_BF16));
        assertClose(plain, bf16, plain.length, "wgmma OUT_BF16", 1e-2);
        float[] residual = randoms(random, plain.length);
        float[] sum = plain.clone();
        for (int i = 0; i < sum.length; i++) {
            sum[i] += residual[i];
        }
        assertClose(sum, run(context, gemm, GemmSelfCheck.Choice.WGMMA, x, w, null, residual, m, 2 * hidden, k,
                EnumSet.of(GemmEpilogue.ACCUMULATE)), sum.length, "wgmma ACCUMULATE");
        // SwiGLU with bias: the weight and bias rows in SwiGluLayout order, outputs u·silu(g)
        float[] z = reference(x, w, bias, m, 2 * hidden, k);
        float[] swiglu = new float[m * hidden];
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < hidden; j++) {
                double u = z[r * 2 * hidden + j];
                double g = z[r * 2 * hidden + hidden + j];
                swiglu[r * hidden + j] = (float) (u * g / (1 + Math.exp(-g)));
            }
        }
        float[] got = run(context, gemm, GemmSelfCheck.Choice.WGMMA, x, SwiGluLayout.interleave(w, hidden, k),
                SwiGluLayout.interleave(bias, hidden, 1), null, m, 2 * hidden, k,
                EnumSet.of(GemmEpilogue.SWIGLU, GemmEpilogue.BIAS));
        assertClose(swiglu, got, swiglu.length, "wgmma SWIGLU + BIAS");
    }

    /** The self-check on this device agrees, and on sm_90 the launcher then dispatches big shapes to wgmma. */
    @Test
    void selfCheckPassesAndDispatchFollowsIt() {
        CudaContext context = CudaContext.open(0);
        assumeTrue(context.computeCapability() == 90, "the wgmma self-check runs on sm_90: "
                + GpuProbe.description());
        for (GemmSelfCheck.Trial t : GemmSelfCheck.onDevice(0)) {
            assertNull(GemmSelfCheck.disagreement(t), t.epilogue());
        }
        GemmLauncher gemm = new GemmLauncher(context);
        String forced = System.getProperty(GemmSelfCheck.PROPERTY);
        if (forced == null || forced.equals("auto")) {
            assertEquals("wgmma", gemm.kernelFor(4096, 4096));
        }
        assertEquals("mma.sync", gemm.kernelFor(16, 4096));
    }

    /** Runs one kernel on host inputs; {@code initial} pre-fills C (ACCUMULATE). bf16 outputs come back widened. */
    private static float[] run(CudaContext context, GemmLauncher gemm, GemmSelfCheck.Choice which, float[] x,
                               float[] w, float[] bias, float[] initial, int m, int n, int k,
                               Set<GemmEpilogue> epilogues) {
        int columns = epilogues.contains(GemmEpilogue.SWIGLU) ? n / 2 : n;
        ElementType out = epilogues.contains(GemmEpilogue.OUT_BF16) ? ElementType.BF16 : ElementType.F32;
        try (DeviceBuffer a = DeviceBuffer.of(context, ElementType.BF16, x);
             DeviceBuffer b = DeviceBuffer.of(context, ElementType.BF16, w);
             DeviceBuffer d = bias == null ? null : DeviceBuffer.of(context, ElementType.F32, bias);
             DeviceBuffer c = DeviceBuffer.allocate(context, out, (long) m * columns)) {
            if (initial != null) {
                c.upload(initial);
            } else {
                c.zero();
            }
            gemm.launch(which, a.pointer(), b.pointer(), d == null ? null : d.pointer(), c.pointer(), m, n, k, columns,
                    epilogues, null);
            context.synchronize();
            float[] got = new float[m * columns];
            c.download(got);
            return got;
        }
    }

    private static float[] randoms(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    /** float64 sums of bf16-rounded operands, plus bias. */
    static float[] reference(float[] x, float[] w, float[] bias, int m, int n, int k) {
        float[] y = new float[m * n];
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < n; c++) {
                double s = bias == null ? 0 : bias[c];
                for (int i = 0; i < k; i++) {
                    s += (double) bf16(x[r * k + i]) * bf16(w[c * k + i]);
                }
                y[r * n + c] = (float) s;
            }
        }
        return y;
    }

    private static float bf16(float v) {
        return Bf16Matrix.toFloat(Bf16Matrix.toBf16(v));
    }

    static void assertClose(float[] expected, float[] actual, int n, String what) {
        assertClose(expected, actual, n, what, 1e-3);
    }

    /** {@code |expected − actual| ≤ relative·max|expected| + 1e-4} everywhere. */
    static void assertClose(float[] expected, float[] actual, int n, String what, double relative) {
        double max = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Math.abs(expected[i]));
        }
        double tolerance = relative * max + 1e-4;
        double worst = 0;
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < n; i++) {
            double diff = Math.abs(expected[i] - actual[i]);
            worst = Math.max(worst, diff);
            if (!(diff <= tolerance) && bad++ < 5) {
                first.append(String.format(" [%d] %g vs %g;", i, expected[i], actual[i]));
            }
        }
        assertTrue(bad == 0, what + ": " + bad + " of " + n + " values off by more than " + tolerance
                + ", max diff " + worst + ", first:" + first);
    }
}
