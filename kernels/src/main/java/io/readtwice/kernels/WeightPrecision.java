package io.readtwice.kernels;

import java.util.Locale;

/** How a backend stores weight matrices. Arithmetic is float32 either way: 16-bit weights are widened to compute. */
public enum WeightPrecision {
    /** 4 bytes per weight, exactly the checkpoint's values widened to float32. */
    FP32(4),
    /**
     * 2 bytes per weight (bfloat16, rounded to nearest even): half the memory and half the bytes a decode step
     * streams. Exact for checkpoints stored in bfloat16.
     */
    BF16(2),
    /**
     * 2 bytes per weight (IEEE binary16, rounded to nearest even; beyond ±65504 becomes ±infinity). Three more
     * mantissa bits than bfloat16 but a far smaller range. Exact for checkpoints stored in float16.
     */
    FP16(2);

    private final int bytes;

    WeightPrecision(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes of storage per weight. */
    public int bytes() {
        return bytes;
    }

    public static WeightPrecision parse(String value) {
        for (WeightPrecision p : values()) {
            if (p.name().equalsIgnoreCase(value)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown weight precision '" + value + "': expected fp32, bf16 or fp16");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
