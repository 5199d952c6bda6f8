package io.readtwice.kernels.gpu;

import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static io.readtwice.kernels.gpu.GpuParity.assertActivationsClose;
import static io.readtwice.kernels.gpu.GpuParity.assertStateClose;

/** elementwise.cu against CpuBackend's embed, addInPlace + rmsNorm, and swiGlu. */
class ElementwiseGpuTest extends GpuKernelTest {
    private ElementwiseGpu gpu;
    private final CpuBackend cpu = new CpuBackend(2);

    @BeforeEach
    void launcher() {
        gpu = new ElementwiseGpu(context);
    }

    @ParameterizedTest
    @EnumSource(value = ElementType.class, names = {"F32", "BF16"})
    void embedGathersTheTableRows(ElementType type) {
        int vocab = 1000;
        int d = 72;
        Random random = new Random(1);
        float[] table = GpuParity.random(random, vocab * d, 1f, type);
        int[] tokens = {0, 999, 17, 17, 503};
        Matrix host = cpu.matrix(table, vocab, d, type == ElementType.BF16 ? WeightPrecision.BF16
                : WeightPrecision.FP32);
        float[] expected = new float[tokens.length * d];
        cpu.embed(host, tokens, expected);
        try (DeviceBuffer dt = DeviceBuffer.of(context, type, table);
             DeviceBuffer ids = DeviceBuffer.of(context, tokens);
             DeviceBuffer out = DeviceBuffer.allocate(context, ElementType.F32, (long) tokens.length * d)) {
            gpu.embed(dt, vocab, d, ids, tokens.length, out);
            context.synchronize();
            GpuParity.assertClose("embed", expected, GpuParity.download(out, tokens.length * d), 0, 0);
        }
    }

    @ParameterizedTest
    @EnumSource(value = ElementType.class, names = {"F32", "BF16"})
    void rmsNormAddsTheResidualFirst(ElementType type) {
        int rows = 5;
        int d = 1000;
        Random random = new Random(2);
        float[] residual = GpuParity.random(random, rows * d, 3f, ElementType.F32);
        float[] h = GpuParity.random(random, rows * d, 1f, type);
        float[] w = GpuParity.random(random, d, 1f, ElementType.F32);
        float[] expectedResidual = residual.clone();
        cpu.addInPlace(expectedResidual, h, rows * d);
        float[] expected = new float[rows * d];
        cpu.rmsNorm(expectedResidual, rows, d, w, 1e-5f, expected);
        try (DeviceBuffer dr = DeviceBuffer.of(context, ElementType.F32, residual);
             DeviceBuffer dh = DeviceBuffer.of(context, type, h);
             DeviceBuffer dw = DeviceBuffer.of(context, ElementType.F32, w);
             DeviceBuffer y = DeviceBuffer.allocate(context, type, (long) rows * d)) {
            gpu.rmsNormResidual(dr, dh, dw, y, rows, d, 1e-5f);
            context.synchronize();
            assertStateClose("residual", expectedResidual, GpuParity.download(dr, rows * d));
            assertActivationsClose("rmsnorm", type, expected, GpuParity.download(y, rows * d));
            // without h: a plain norm of the (updated) residual
            gpu.rmsNormResidual(dr, null, dw, y, rows, d, 1e-5f);
            context.synchronize();
            assertActivationsClose("rmsnorm without residual add", type, expected, GpuParity.download(y, rows * d));
        }
    }

    @ParameterizedTest
    @EnumSource(value = ElementType.class, names = {"F32", "BF16"})
    void swiGluGatesTheValueHalf(ElementType type) {
        int rows = 7;
        int hidden = 333;
        float[] z = GpuParity.random(new Random(3), rows * 2 * hidden, 2f, type);
        float[] expected = new float[rows * hidden];
        cpu.swiGlu(z, rows, hidden, expected);
        try (DeviceBuffer dz = DeviceBuffer.of(context, type, z);
             DeviceBuffer out = DeviceBuffer.allocate(context, type, (long) rows * hidden)) {
            gpu.swiGlu(dz, rows, hidden, out);
            context.synchronize();
            assertActivationsClose("swiglu", type, expected, GpuParity.download(out, rows * hidden));
        }
    }
}
