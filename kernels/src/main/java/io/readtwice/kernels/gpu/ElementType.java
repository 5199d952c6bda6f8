package io.readtwice.kernels.gpu;

/** What a device buffer holds: the float32 and bfloat16 activations and states of the kernels, int32 indices. */
public enum ElementType {
    F32(4), BF16(2), I32(4);

    private final int bytes;

    ElementType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** The kernel name suffix of this activation type: {@code _f32} or {@code _bf16}. */
    String kernelSuffix() {
        if (this == I32) {
            throw new IllegalArgumentException("int32 is not an activation type");
        }
        return this == F32 ? "_f32" : "_bf16";
    }
}
