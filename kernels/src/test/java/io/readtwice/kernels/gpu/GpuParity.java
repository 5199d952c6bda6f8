package io.readtwice.kernels.gpu;

import io.readtwice.kernels.cpu.Bf16Matrix;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the GPU parity tests share (llm.c's validate_result, in Java): the GPU context, random inputs rounded to the
 * kernel's activation type so that the CPU engine sees the very same numbers, and a closeness check that prints the
 * first mismatches and the largest difference.
 *
 * <p>Tolerances, per element: {@code |gpu − cpu| ≤ absolute + relative·max|cpu|}. float32 kernels differ from the
 * CPU engine only in summation order and fused multiply-adds: relative 1e-4, absolute 1e-5. bfloat16 kernels round
 * their outputs to 8 significant bits (2⁻⁸ ≈ 0.4 %) after float32 accumulation: relative 2e-2, absolute 1e-3
 * (gpu-notes §4.3). States are float32 in both variants and use the float32 bound.
 */
final class GpuParity {
    static final double F32_RELATIVE = 1e-4;
    static final double F32_ABSOLUTE = 1e-5;
    static final double BF16_RELATIVE = 2e-2;
    static final double BF16_ABSOLUTE = 1e-3;
    private static final int SHOWN = 8;

    private GpuParity() {
    }

    static void assumeGpu() {
        assumeTrue(GpuProbe.available(), "no GPU, parity test skipped: " + GpuProbe.description());
    }

    /** Normal values times {@code scale}, rounded to what {@code type} can hold. */
    static float[] random(Random random, int n, float scale, ElementType type) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian() * scale;
        }
        return representable(x, type);
    }

    static float[] representable(float[] x, ElementType type) {
        if (type == ElementType.BF16) {
            for (int i = 0; i < x.length; i++) {
                x[i] = Bf16Matrix.toFloat(Bf16Matrix.toBf16(x[i]));
            }
        }
        return x;
    }

    static float[] download(DeviceBuffer buffer, int n) {
        float[] x = new float[n];
        buffer.download(x);
        return x;
    }

    /** Activation outputs: the bound of the kernel's type. */
    static void assertActivationsClose(String what, ElementType type, float[] expected, float[] actual) {
        boolean bf16 = type == ElementType.BF16;
        assertClose(what + " (" + type + ")", expected, actual, bf16 ? BF16_RELATIVE : F32_RELATIVE,
                bf16 ? BF16_ABSOLUTE : F32_ABSOLUTE);
    }

    /** float32 states (linear-attention S and z, caches, conv tails). */
    static void assertStateClose(String what, float[] expected, float[] actual) {
        assertClose(what, expected, actual, F32_RELATIVE, F32_ABSOLUTE);
    }

    static void assertClose(String what, float[] expected, float[] actual, double relative, double absolute) {
        if (expected.length != actual.length) {
            fail(what + ": " + expected.length + " expected values, " + actual.length + " actual");
        }
        double max = 0;
        for (float e : expected) {
            max = Math.max(max, Math.abs(e));
        }
        double bound = absolute + relative * max;
        double worst = 0;
        int worstAt = -1;
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs((double) expected[i] - actual[i]);
            if (!(diff <= bound)) {  // NaN fails too
                if (bad++ < SHOWN) {
                    first.append(String.format(java.util.Locale.ROOT, "%n  [%d] cpu %.7g gpu %.7g", i, expected[i],
                            actual[i]));
                }
            }
            if (!(diff <= worst)) {
                worst = diff;
                worstAt = i;
            }
        }
        if (bad > 0) {
            fail(String.format(java.util.Locale.ROOT, "%s: %d of %d values off by more than %.3g (max |cpu| %.4g); "
                    + "largest difference %.4g at %d; first:%s", what, bad, expected.length, bound, max, worst,
                    worstAt, first));
        }
    }

    static float[] flatten(float[][] perSequence) {
        int n = 0;
        for (float[] x : perSequence) {
            n += x.length;
        }
        float[] flat = new float[n];
        int at = 0;
        for (float[] x : perSequence) {
            System.arraycopy(x, 0, flat, at, x.length);
            at += x.length;
        }
        return flat;
    }

    static float[][] split(float[] flat, int sequences) {
        int each = flat.length / sequences;
        float[][] parts = new float[sequences][];
        for (int s = 0; s < sequences; s++) {
            parts[s] = java.util.Arrays.copyOfRange(flat, s * each, (s + 1) * each);
        }
        return parts;
    }

    static int[] starts(int... lengths) {
        int[] starts = new int[lengths.length + 1];
        for (int s = 0; s < lengths.length; s++) {
            starts[s + 1] = starts[s] + lengths[s];
        }
        return starts;
    }
}
