package io.readtwice.kernels.gpu;

import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.WindowDims;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static io.readtwice.kernels.gpu.GpuParity.assertActivationsClose;
import static io.readtwice.kernels.gpu.GpuParity.assertStateClose;

/**
 * sliding_window.cu against the CPU engine (SlidingWindowKernel): windows shorter and longer than the sequences,
 * lengths across the 32-query tiles, positions past 129 for rotary, then ring-buffer decode steps.
 */
class SlidingWindowGpuTest extends GpuKernelTest {
    private SlidingWindowGpu gpu;
    private final CpuBackend cpu = new CpuBackend(2);

    @BeforeEach
    void launcher() {
        gpu = new SlidingWindowGpu(context);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(ElementType.F32, 2, 32, 8, new int[] {45, 1, 70}),
                Arguments.of(ElementType.BF16, 2, 32, 8, new int[] {45, 1, 70}),
                Arguments.of(ElementType.F32, 3, 64, 128, new int[] {300, 129, 33}),
                Arguments.of(ElementType.BF16, 16, 112, 128, new int[] {161, 2}));
    }

    @ParameterizedTest(name = "{0} H={1} hd={2} window={3}")
    @MethodSource("cases")
    void prefillThenStepsMatchTheCpuEngine(ElementType type, int heads, int hd, int windowBack, int[] lengths) {
        WindowDims dims = new WindowDims(heads, hd, windowBack, 10000f);
        Random random = new Random(heads * 31L + hd + windowBack);
        int[] seqStart = GpuParity.starts(lengths);
        int sequences = lengths.length;
        int rows = seqStart[sequences];
        int width = heads * hd;
        float[] qkv = GpuParity.random(random, rows * 3 * width, 1f, type);
        float[][] keyCache = new float[sequences][dims.cacheSize()];
        float[][] valueCache = new float[sequences][dims.cacheSize()];
        float[] cpuOut = new float[rows * width];
        cpu.slidingWindowPrefill(dims, qkv, seqStart, keyCache, valueCache, cpuOut);

        try (DeviceBuffer dqkv = DeviceBuffer.of(context, type, qkv);
             PackedSequences seqs = PackedSequences.upload(context, seqStart);
             DeviceBuffer kc = DeviceBuffer.allocate(context, ElementType.F32, (long) sequences * dims.cacheSize());
             DeviceBuffer vc = DeviceBuffer.allocate(context, ElementType.F32, (long) sequences * dims.cacheSize());
             DeviceBuffer out = DeviceBuffer.allocate(context, type, (long) rows * width)) {
            kc.zero();
            vc.zero();
            gpu.prefill(dims, dqkv, seqs, kc, vc, out);
            context.synchronize();
            assertActivationsClose("prefill out", type, cpuOut, GpuParity.download(out, rows * width));
            int cacheFloats = sequences * dims.cacheSize();
            assertStateClose("prefill key cache", GpuParity.flatten(keyCache), GpuParity.download(kc, cacheFloats));
            assertStateClose("prefill value cache", GpuParity.flatten(valueCache),
                    GpuParity.download(vc, cacheFloats));

            int[] positions = lengths.clone();
            for (int step = 0; step < 3; step++) {
                float[] row = GpuParity.random(random, sequences * 3 * width, 1f, type);
                float[] cpuStepOut = new float[sequences * width];
                cpu.slidingWindowStep(dims, row, positions, keyCache, valueCache, cpuStepOut);
                try (DeviceBuffer drow = DeviceBuffer.of(context, type, row);
                     DeviceBuffer dpos = DeviceBuffer.of(context, positions);
                     DeviceBuffer dout = DeviceBuffer.allocate(context, type, (long) sequences * width)) {
                    gpu.step(dims, drow, dpos, sequences, kc, vc, dout);
                    context.synchronize();
                    assertActivationsClose("step " + step + " out", type, cpuStepOut,
                            GpuParity.download(dout, sequences * width));
                    assertStateClose("step " + step + " key cache", GpuParity.flatten(keyCache),
                            GpuParity.download(kc, cacheFloats));
                }
                for (int s = 0; s < sequences; s++) {
                    positions[s]++;
                }
            }
        }
    }
}
