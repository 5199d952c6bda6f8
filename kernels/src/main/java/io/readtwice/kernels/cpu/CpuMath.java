package io.readtwice.kernels.cpu;

/** Scalar element-wise functions shared by the CPU kernels. */
public final class CpuMath {
    private CpuMath() {
    }

    /** SiLU: t·sigmoid(t). */
    public static float silu(float t) {
        return (float) (t / (1.0 + Math.exp(-t)));
    }

    /** RMSNorm of one row (model-spec §2), sum of squares in double. */
    public static void rmsNormRow(float[] x, int off, int d, float[] w, float eps, float[] y) {
        double sumSquares = 0;
        for (int i = 0; i < d; i++) {
            float v = x[off + i];
            sumSquares += v * v;
        }
        float inv = (float) (1.0 / Math.sqrt(sumSquares / d + eps));
        for (int i = 0; i < d; i++) {
            y[off + i] = x[off + i] * inv * w[i];
        }
    }
}
