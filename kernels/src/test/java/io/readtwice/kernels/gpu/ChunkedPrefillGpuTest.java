package io.readtwice.kernels.gpu;

import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.LinearAttentionDims;
import io.readtwice.kernels.WindowDims;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static io.readtwice.kernels.gpu.GpuParity.assertActivationsClose;
import static io.readtwice.kernels.gpu.GpuParity.assertStateClose;

/**
 * Prefill in chunks that carry the recurrent state (the kernels' from-state mode) against the CPU engine reading each
 * sequence at once: the CPU kernels define the math, and a prompt read in chunks must give the same outputs and the
 * same final state. Chunk cuts are off the kernels' tile sizes; some sequences read nothing in a chunk (0 rows) and
 * some chunks are shorter than the conv taps or the window.
 */
class ChunkedPrefillGpuTest extends GpuKernelTest {
    private final CpuBackend cpu = new CpuBackend(2);
    /** Rows each sequence reads per chunk; the sequences' lengths are the column sums. */
    private static final int[][] CHUNKS = {{70, 1, 30, 2}, {0, 0, 45, 1}, {61, 0, 2, 1}, {5, 0, 90, 0}};

    private static int[] lengths() {
        int[] lengths = new int[CHUNKS[0].length];
        for (int[] chunk : CHUNKS) {
            for (int s = 0; s < lengths.length; s++) {
                lengths[s] += chunk[s];
            }
        }
        return lengths;
    }

    /** Position of each sequence's first row in chunk c. */
    private static int[] startPositions(int c) {
        int[] from = new int[CHUNKS[0].length];
        for (int i = 0; i < c; i++) {
            for (int s = 0; s < from.length; s++) {
                from[s] += CHUNKS[i][s];
            }
        }
        return from;
    }

    /** Rows of chunk c gathered from the whole sequences' packed rows of {@code width} values. */
    private static float[] rowsOf(int c, float[] all, int[] allStart, int width) {
        int[] from = startPositions(c);
        int[] starts = GpuParity.starts(CHUNKS[c]);
        float[] out = new float[starts[starts.length - 1] * width];
        for (int s = 0; s < from.length; s++) {
            System.arraycopy(all, (allStart[s] + from[s]) * width, out, starts[s] * width, CHUNKS[c][s] * width);
        }
        return out;
    }

    /** Puts chunk c's output rows back where they belong among the whole sequences' rows. */
    private static void scatter(int c, float[] chunkOut, int[] allStart, int width, float[] all) {
        int[] from = startPositions(c);
        int[] starts = GpuParity.starts(CHUNKS[c]);
        for (int s = 0; s < from.length; s++) {
            System.arraycopy(chunkOut, starts[s] * width, all, (allStart[s] + from[s]) * width, CHUNKS[c][s] * width);
        }
    }

    @ParameterizedTest
    @EnumSource(value = ElementType.class, names = {"F32", "BF16"})
    void linearAttentionSeededFromTheStateEqualsOnePass(ElementType type) {
        LinearAttentionDims dims = new LinearAttentionDims(2, 16, 24, 1e-12f);
        int[] lengths = lengths();
        int sequences = lengths.length;
        int[] encLengths = {50, 1, 20, 3};        // the JRT prefix: all within each sequence's first chunk
        int[] masked = {3, 0, 0, 2};
        int[] seqStart = GpuParity.starts(lengths);
        int[] encStart = GpuParity.starts(encLengths);
        int rows = seqStart[sequences];
        int kw = dims.heads() * dims.featureDim();
        int vw = dims.heads() * dims.headDim();
        Random random = new Random(11);
        float[] q = GpuParity.random(random, rows * kw, 0.5f, type);
        float[] k = GpuParity.random(random, rows * kw, 0.5f, type);
        float[] v = GpuParity.random(random, rows * vw, 1f, type);
        float[] kEnc = GpuParity.random(random, encStart[sequences] * kw, 0.5f, type);
        float[] vEnc = GpuParity.random(random, encStart[sequences] * vw, 1f, type);
        float[][] cpuState = new float[sequences][dims.stateSize()];
        float[] cpuOut = new float[rows * vw];
        cpu.linearAttentionPrefill(dims, q, k, v, kEnc, vEnc, seqStart, encStart, masked, cpuState, cpuOut);

        float[] gpuOut = new float[rows * vw];
        LinearAttentionGpu gpu = new LinearAttentionGpu(context);
        try (DeviceBuffer state = DeviceBuffer.allocate(context, ElementType.F32, (long) sequences * dims.stateSize())) {
            state.zero();
            for (int c = 0; c < CHUNKS.length; c++) {
                boolean first = c == 0;
                int[] from = startPositions(c);
                int[] chunkMasked = new int[sequences];
                for (int s = 0; s < sequences; s++) {
                    chunkMasked[s] = Math.max(0, masked[s] - from[s]);
                }
                int n = GpuParity.starts(CHUNKS[c])[sequences];
                try (DeviceBuffer dq = DeviceBuffer.of(context, type, rowsOf(c, q, seqStart, kw));
                     DeviceBuffer dk = DeviceBuffer.of(context, type, rowsOf(c, k, seqStart, kw));
                     DeviceBuffer dv = DeviceBuffer.of(context, type, rowsOf(c, v, seqStart, vw));
                     DeviceBuffer dkEnc = first ? DeviceBuffer.of(context, type, kEnc) : null;
                     DeviceBuffer dvEnc = first ? DeviceBuffer.of(context, type, vEnc) : null;
                     PackedSequences seqs = PackedSequences.upload(context, GpuParity.starts(CHUNKS[c]));
                     PackedSequences enc = first ? PackedSequences.upload(context, encStart) : null;
                     DeviceBuffer dMasked = DeviceBuffer.of(context, chunkMasked);
                     DeviceBuffer out = DeviceBuffer.allocate(context, type, Math.max(1, (long) n * vw))) {
                    gpu.prefill(dims, dq, dk, dv, dkEnc, dvEnc, seqs, enc, dMasked, state, out, !first);
                    context.synchronize();
                    scatter(c, GpuParity.download(out, n * vw), seqStart, vw, gpuOut);
                }
            }
            assertActivationsClose("chunked out", type, cpuOut, gpuOut);
            assertStateClose("chunked state", GpuParity.flatten(cpuState),
                    GpuParity.download(state, sequences * dims.stateSize()));
        }
    }

    @ParameterizedTest
    @EnumSource(value = ElementType.class, names = {"F32", "BF16"})
    void slidingWindowFromThePreviousRingEqualsOnePass(ElementType type) {
        WindowDims dims = new WindowDims(2, 32, 40, 10000f);
        int[] lengths = lengths();
        int sequences = lengths.length;
        int[] seqStart = GpuParity.starts(lengths);
        int rows = seqStart[sequences];
        int width = dims.heads() * dims.headDim();
        Random random = new Random(12);
        float[] qkv = GpuParity.random(random, rows * 3 * width, 1f, type);
        float[][] keyCache = new float[sequences][dims.cacheSize()];
        float[][] valueCache = new float[sequences][dims.cacheSize()];
        float[] cpuOut = new float[rows * width];
        cpu.slidingWindowPrefill(dims, qkv, seqStart, keyCache, valueCache, cpuOut);

        float[] gpuOut = new float[rows * width];
        SlidingWindowGpu gpu = new SlidingWindowGpu(context);
        long ring = (long) sequences * dims.cacheSize();
        try (DeviceBuffer kc = DeviceBuffer.allocate(context, ElementType.F32, ring);
             DeviceBuffer vc = DeviceBuffer.allocate(context, ElementType.F32, ring);
             DeviceBuffer previousKeys = DeviceBuffer.allocate(context, ElementType.F32, ring);
             DeviceBuffer previousValues = DeviceBuffer.allocate(context, ElementType.F32, ring)) {
            kc.zero();
            vc.zero();
            for (int c = 0; c < CHUNKS.length; c++) {
                int n = GpuParity.starts(CHUNKS[c])[sequences];
                float[] keys = GpuParity.download(kc, (int) ring);
                float[] values = GpuParity.download(vc, (int) ring);
                previousKeys.upload(keys);
                previousValues.upload(values);
                try (DeviceBuffer dqkv = DeviceBuffer.of(context, type, rowsOf(c, qkv, seqStart, 3 * width));
                     PackedSequences seqs = PackedSequences.upload(context, GpuParity.starts(CHUNKS[c]));
                     DeviceBuffer start = DeviceBuffer.of(context, startPositions(c));
                     DeviceBuffer out = DeviceBuffer.allocate(context, type, Math.max(1, (long) n * width))) {
                    gpu.prefill(dims, dqkv, seqs, start, previousKeys, previousValues, kc, vc, out);
                    context.synchronize();
                    scatter(c, GpuParity.download(out, n * width), seqStart, width, gpuOut);
                }
            }
            assertActivationsClose("chunked out", type, cpuOut, gpuOut);
            assertStateClose("chunked key ring", GpuParity.flatten(keyCache), GpuParity.download(kc, (int) ring));
            assertStateClose("chunked value ring", GpuParity.flatten(valueCache), GpuParity.download(vc, (int) ring));
        }
    }

    @ParameterizedTest
    @EnumSource(value = ElementType.class, names = {"F32", "BF16"})
    void baseConvFromItsTailEqualsOnePass(ElementType type) {
        int channels = 300;
        int taps = 3;
        int[] lengths = lengths();
        int sequences = lengths.length;
        int[] seqStart = GpuParity.starts(lengths);
        int rows = seqStart[sequences];
        Random random = new Random(13);
        float[] z = GpuParity.random(random, rows * 2 * channels, 1f, type);
        float[] conv = GpuParity.random(random, channels * taps, 0.5f, ElementType.F32);
        float[][] cpuState = new float[sequences][taps * channels];
        float[] cpuOut = new float[rows * channels];
        cpu.baseConvPrefill(z, seqStart, channels, conv, taps, cpuState, cpuOut);

        float[] gpuOut = new float[rows * channels];
        BaseConvGpu gpu = new BaseConvGpu(context);
        long tails = (long) sequences * taps * channels;
        try (DeviceBuffer dconv = DeviceBuffer.of(context, ElementType.F32, conv);
             DeviceBuffer state = DeviceBuffer.allocate(context, ElementType.F32, tails);
             DeviceBuffer previous = DeviceBuffer.allocate(context, ElementType.F32, tails)) {
            state.zero();
            for (int c = 0; c < CHUNKS.length; c++) {
                int n = GpuParity.starts(CHUNKS[c])[sequences];
                previous.upload(GpuParity.download(state, (int) tails));
                try (DeviceBuffer dz = DeviceBuffer.of(context, type, rowsOf(c, z, seqStart, 2 * channels));
                     PackedSequences seqs = PackedSequences.upload(context, GpuParity.starts(CHUNKS[c]));
                     DeviceBuffer out = DeviceBuffer.allocate(context, type, Math.max(1, (long) n * channels))) {
                    gpu.prefill(dz, seqs, channels, dconv, taps, previous, state, out);
                    context.synchronize();
                    scatter(c, GpuParity.download(out, n * channels), seqStart, channels, gpuOut);
                }
            }
            assertActivationsClose("chunked out", type, cpuOut, gpuOut);
            assertStateClose("chunked state", GpuParity.flatten(cpuState), GpuParity.download(state, (int) tails));
        }
    }
}
