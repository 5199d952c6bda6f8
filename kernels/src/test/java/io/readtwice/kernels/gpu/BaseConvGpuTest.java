package io.readtwice.kernels.gpu;

import io.readtwice.kernels.CpuBackend;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static io.readtwice.kernels.gpu.GpuParity.assertActivationsClose;
import static io.readtwice.kernels.gpu.GpuParity.assertStateClose;

/**
 * base_conv.cu against the CPU engine (BaseConvKernel): sequences shorter than the kernel, an empty one, a channel
 * count that is not a multiple of the block, then decode steps.
 */
class BaseConvGpuTest extends GpuKernelTest {
    private BaseConvGpu gpu;
    private final CpuBackend cpu = new CpuBackend(2);

    @BeforeEach
    void launcher() {
        gpu = new BaseConvGpu(context);
    }

    @ParameterizedTest
    @EnumSource(value = ElementType.class, names = {"F32", "BF16"})
    void prefillThenStepsMatchTheCpuEngine(ElementType type) {
        int channels = 300;
        int taps = 3;
        int[] lengths = {2, 0, 17, 5};
        Random random = new Random(7);
        int[] seqStart = GpuParity.starts(lengths);
        int sequences = lengths.length;
        int rows = seqStart[sequences];
        float[] z = GpuParity.random(random, rows * 2 * channels, 1f, type);
        float[] conv = GpuParity.random(random, channels * taps, 0.5f, ElementType.F32);
        float[][] cpuState = new float[sequences][taps * channels];
        float[] cpuOut = new float[rows * channels];
        cpu.baseConvPrefill(z, seqStart, channels, conv, taps, cpuState, cpuOut);

        try (DeviceBuffer dz = DeviceBuffer.of(context, type, z);
             DeviceBuffer dconv = DeviceBuffer.of(context, ElementType.F32, conv);
             PackedSequences seqs = PackedSequences.upload(context, seqStart);
             DeviceBuffer state = DeviceBuffer.allocate(context, ElementType.F32, (long) sequences * taps * channels);
             DeviceBuffer out = DeviceBuffer.allocate(context, type, (long) rows * channels)) {
            state.upload(GpuParity.random(random, sequences * taps * channels, 9f, ElementType.F32));  // stale
            gpu.prefill(dz, seqs, channels, dconv, taps, state, out);
            context.synchronize();
            assertActivationsClose("prefill out", type, cpuOut, GpuParity.download(out, rows * channels));
            assertStateClose("prefill state", GpuParity.flatten(cpuState),
                    GpuParity.download(state, sequences * taps * channels));
            for (int step = 0; step < 4; step++) {
                float[] zs = GpuParity.random(random, sequences * 2 * channels, 1f, type);
                float[] cpuStepOut = new float[sequences * channels];
                cpu.baseConvStep(zs, sequences, channels, conv, taps, cpuState, cpuStepOut);
                try (DeviceBuffer dzs = DeviceBuffer.of(context, type, zs);
                     DeviceBuffer dout = DeviceBuffer.allocate(context, type, (long) sequences * channels)) {
                    gpu.step(dzs, sequences, channels, dconv, taps, state, dout);
                    context.synchronize();
                    assertActivationsClose("step " + step + " out", type, cpuStepOut,
                            GpuParity.download(dout, sequences * channels));
                    assertStateClose("step " + step + " state", GpuParity.flatten(cpuState),
                            GpuParity.download(state, sequences * taps * channels));
                }
            }
        }
    }
}
