package io.readtwice.kernels.gpu;

import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.LinearAttentionDims;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static io.readtwice.kernels.gpu.GpuParity.assertActivationsClose;
import static io.readtwice.kernels.gpu.GpuParity.assertStateClose;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * linear_attention.cu against the CPU engine (LinearAttentionKernel): JRT-RNN's prefix form and Based's plain form,
 * batches of several sequences whose lengths are not multiples of the 64-token chunk, with and without masked keys,
 * then decode steps (kv weight 1, and 2 for Based's reference quirk) continuing from the prefill state.
 */
class LinearAttentionGpuTest extends GpuKernelTest {
    private LinearAttentionGpu gpu;
    private final CpuBackend cpu = new CpuBackend(2);

    @BeforeEach
    void launcher() {
        gpu = new LinearAttentionGpu(context);
    }

    static Stream<Arguments> cases() {
        // type, heads, value dim, decoder lengths, encoder lengths (null: Based), masked keys per sequence, kv weight
        return Stream.of(
                Arguments.of(ElementType.F32, 2, 64, new int[] {70, 1, 131}, new int[] {50, 1, 100}, null, 1f),
                Arguments.of(ElementType.BF16, 2, 64, new int[] {70, 1, 131}, new int[] {50, 1, 100}, null, 1f),
                Arguments.of(ElementType.F32, 3, 24, new int[] {64, 129}, new int[] {64, 40}, new int[] {5, 0}, 1f),
                Arguments.of(ElementType.BF16, 16, 112, new int[] {200, 17}, new int[] {100, 17}, new int[] {3, 17},
                        1f),
                Arguments.of(ElementType.F32, 2, 64, new int[] {90, 3, 65}, null, null, 2f),
                Arguments.of(ElementType.BF16, 4, 64, new int[] {257}, null, null, 2f));
    }

    @ParameterizedTest(name = "{0} H={1} hd={2}")
    @MethodSource("cases")
    void prefillThenStepsMatchTheCpuEngine(ElementType type, int heads, int hd, int[] lengths, int[] encLengths,
                                           int[] masked, float kvWeight) {
        LinearAttentionDims dims = new LinearAttentionDims(heads, 16, hd, 1e-12f);
        Random random = new Random(heads * 1000L + hd);
        int[] seqStart = GpuParity.starts(lengths);
        int rows = seqStart[lengths.length];
        int sequences = lengths.length;
        int kw = heads * 16;
        int vw = heads * hd;
        float[] q = GpuParity.random(random, rows * kw, 0.5f, type);
        float[] k = GpuParity.random(random, rows * kw, 0.5f, type);
        float[] v = GpuParity.random(random, rows * vw, 1f, type);
        int[] encStart = encLengths == null ? null : GpuParity.starts(encLengths);
        int encRows = encStart == null ? 0 : encStart[sequences];
        float[] kEnc = encStart == null ? null : GpuParity.random(random, encRows * kw, 0.5f, type);
        float[] vEnc = encStart == null ? null : GpuParity.random(random, encRows * vw, 1f, type);

        float[][] cpuState = new float[sequences][dims.stateSize()];
        float[] cpuOut = new float[rows * vw];
        cpu.linearAttentionPrefill(dims, q, k, v, kEnc, vEnc, seqStart, encStart, masked, cpuState, cpuOut);

        try (DeviceBuffer dq = DeviceBuffer.of(context, type, q);
             DeviceBuffer dk = DeviceBuffer.of(context, type, k);
             DeviceBuffer dv = DeviceBuffer.of(context, type, v);
             DeviceBuffer dkEnc = kEnc == null ? null : DeviceBuffer.of(context, type, kEnc);
             DeviceBuffer dvEnc = vEnc == null ? null : DeviceBuffer.of(context, type, vEnc);
             PackedSequences seqs = PackedSequences.upload(context, seqStart);
             PackedSequences enc = encStart == null ? null : PackedSequences.upload(context, encStart);
             DeviceBuffer dMasked = masked == null ? null : DeviceBuffer.of(context, masked);
             DeviceBuffer state = DeviceBuffer.allocate(context, ElementType.F32, (long) sequences * dims.stateSize());
             DeviceBuffer out = DeviceBuffer.allocate(context, type, (long) rows * vw)) {
            gpu.prefill(dims, dq, dk, dv, dkEnc, dvEnc, seqs, enc, dMasked, state, out);
            context.synchronize();
            assertActivationsClose("prefill out", type, cpuOut, GpuParity.download(out, rows * vw));
            assertStateClose("prefill state", GpuParity.flatten(cpuState),
                    GpuParity.download(state, sequences * dims.stateSize()));

            // Decode steps from the prefill state: both engines continue from the CPU's state, so each step is
            // compared on its own.
            state.upload(GpuParity.flatten(cpuState));
            for (int step = 0; step < 3; step++) {
                float[] sq = GpuParity.random(random, sequences * kw, 0.5f, type);
                float[] sk = GpuParity.random(random, sequences * kw, 0.5f, type);
                float[] sv = GpuParity.random(random, sequences * vw, 1f, type);
                float[] cpuStepOut = new float[sequences * vw];
                cpu.linearAttentionStep(dims, sq, sk, sv, sequences, kvWeight, cpuState, cpuStepOut);
                try (DeviceBuffer bq = DeviceBuffer.of(context, type, sq);
                     DeviceBuffer bk = DeviceBuffer.of(context, type, sk);
                     DeviceBuffer bv = DeviceBuffer.of(context, type, sv);
                     DeviceBuffer bo = DeviceBuffer.allocate(context, type, (long) sequences * vw)) {
                    gpu.step(dims, bq, bk, bv, sequences, kvWeight, state, bo);
                    context.synchronize();
                    assertActivationsClose("step " + step + " out", type, cpuStepOut,
                            GpuParity.download(bo, sequences * vw));
                    float[] gpuState = GpuParity.download(state, sequences * dims.stateSize());
                    assertStateClose("step " + step + " state", GpuParity.flatten(cpuState), gpuState);
                    state.upload(GpuParity.flatten(cpuState));
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aShortBufferIsNamedInTheError() {
        LinearAttentionDims dims = new LinearAttentionDims(2, 16, 8, 1e-12f);
        try (DeviceBuffer small = DeviceBuffer.allocate(context, ElementType.F32, 10);
             DeviceBuffer state = DeviceBuffer.allocate(context, ElementType.F32, dims.stateSize());
             PackedSequences seqs = PackedSequences.upload(context, new int[] {0, 4})) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> gpu.prefill(dims, small, small, small, null, null, seqs, null, null, state, small));
            assertTrue(e.getMessage().contains("argument q holds 10 elements, needs 128"), e.getMessage());
        }
    }
}
