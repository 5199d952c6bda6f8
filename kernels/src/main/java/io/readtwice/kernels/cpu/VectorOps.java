package io.readtwice.kernels.cpu;

/**
 * Dot products and axpy, the two inner loops of the attention kernels. Uses the Vector API ({@link SimdOps}) when
 * the JVM was started with {@code --add-modules jdk.incubator.vector} (the launcher and tests do; a plain
 * spark-submit may not), and the scalar twin otherwise or when {@code -Dreadtwice.simd=false}.
 */
public final class VectorOps {
    /** True when the Vector API is used. */
    public static final boolean SIMD = Boolean.parseBoolean(System.getProperty("readtwice.simd", "true"))
            && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private VectorOps() {
    }

    /** {@code Σ a[aOff+i]·b[bOff+i]} for i < n. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return SIMD ? SimdOps.dot(a, aOff, b, bOff, n) : scalarDot(a, aOff, b, bOff, n);
    }

    /** {@code Σ x[off+i]} for i < n (the memory-bandwidth probe). */
    public static float sum(float[] x, int off, int n) {
        if (SIMD) {
            return SimdOps.sum(x, off, n);
        }
        float s = 0f;
        for (int i = 0; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    /** {@code Σ x[off+i]} over ints, wrapping (reads 16-bit weight storage for the bandwidth probe). */
    public static int sumInts(int[] x, int off, int n) {
        if (SIMD) {
            return SimdOps.sumInts(x, off, n);
        }
        int s = 0;
        for (int i = 0; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    /** {@code y[yOff+i] += alpha·x[xOff+i]} for i < n. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        if (SIMD) {
            SimdOps.axpy(alpha, x, xOff, y, yOff, n);
        } else {
            scalarAxpy(alpha, x, xOff, y, yOff, n);
        }
    }

    /** {@code acc[accOff+i] += a[aOff+i]·b[bOff+i]} for i < n. */
    public static void mulAdd(float[] a, int aOff, float[] b, int bOff, float[] acc, int accOff, int n) {
        if (SIMD) {
            SimdOps.mulAdd(a, aOff, b, bOff, acc, accOff, n);
        } else {
            for (int i = 0; i < n; i++) {
                acc[accOff + i] += a[aOff + i] * b[bOff + i];
            }
        }
    }

    /** The gated SiLU of SwiGLU and BaseConv: {@code out[i] = silu(gate[i])·value[i]}, silu(t) = t·sigmoid(t). */
    public static void siluGate(float[] gate, int gOff, float[] value, int vOff, float[] out, int oOff, int n) {
        if (SIMD) {
            SimdOps.siluGate(gate, gOff, value, vOff, out, oOff, n);
        } else {
            for (int i = 0; i < n; i++) {
                out[oOff + i] = CpuMath.silu(gate[gOff + i]) * value[vOff + i];
            }
        }
    }

    static float scalarDot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    static void scalarAxpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }
}
