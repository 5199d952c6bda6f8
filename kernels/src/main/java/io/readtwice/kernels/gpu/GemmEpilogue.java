package io.readtwice.kernels.gpu;

import java.util.Set;

/** What the GEMM kernel does with each result before storing it; the bits are gemm.cu's {@code GEMM_*} modes. */
public enum GemmEpilogue {
    /** Add {@code bias[n]}. */
    BIAS(1),
    /** Store bfloat16 instead of float32 (an activation the next GEMM reads). */
    OUT_BF16(2),
    /** {@code C += result} into float32 C: the residual add of model-spec §2. */
    ACCUMULATE(4),
    /** SwiGLU: the weight's rows are in {@link SwiGluLayout}; {@code C[m, j] = u·silu(g)}, N/2 columns. */
    SWIGLU(8);

    final int bit;

    GemmEpilogue(int bit) {
        this.bit = bit;
    }

    /** The kernel's mode argument. */
    public static int mode(Set<GemmEpilogue> epilogues) {
        if (epilogues.contains(OUT_BF16) && epilogues.contains(ACCUMULATE)) {
            throw new IllegalArgumentException("GEMM epilogue: ACCUMULATE needs a float32 output, not OUT_BF16");
        }
        int mode = 0;
        for (GemmEpilogue e : epilogues) {
            mode |= e.bit;
        }
        return mode;
    }
}
