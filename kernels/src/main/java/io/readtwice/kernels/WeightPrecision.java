package io.readtwice.kernels;

import java.util.Locale;

/** How a backend stores weight matrices. Arithmetic is float32 either way. */
public enum WeightPrecision {
    /** 4 bytes per weight, exactly the checkpoint's values widened to float32. */
    FP32,
    /**
     * 2 bytes per weight (bfloat16, rounded to nearest even): half the memory and half the bytes a decode step
     * streams. Exact for checkpoints stored in bfloat16.
     */
    BF16;

    public static WeightPrecision parse(String value) {
        for (WeightPrecision p : values()) {
            if (p.name().equalsIgnoreCase(value)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown weight precision '" + value + "': expected fp32 or bf16");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
