package io.readtwice.checkpoint;

import java.util.Map;

/**
 * Element types that can appear in a checkpoint, named as in safetensors. Only F32, F16 and BF16 are accepted for
 * weights; the others exist so that headers and storages can be size-checked (and e.g. the int64 metric counters
 * of a Lightning checkpoint parsed and dropped).
 */
enum DType {
    F64(8), F32(4), F16(2), BF16(2), F8_E4M3(1), F8_E5M2(1),
    I64(8), I32(4), I16(2), I8(1), U64(8), U32(4), U16(2), U8(1), BOOL(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    int bytes() {
        return bytes;
    }

    /** True for the types a weight may be stored in (they widen to float32 exactly). */
    boolean isFloatWeight() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** The safetensors dtype string, or null when unknown. */
    static DType fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** {@code torch.<Name>Storage} classes named in a pickle's persistent ids. */
    static final Map<String, DType> TORCH_STORAGES = Map.ofEntries(
            Map.entry("FloatStorage", F32), Map.entry("DoubleStorage", F64), Map.entry("HalfStorage", F16),
            Map.entry("BFloat16Storage", BF16), Map.entry("LongStorage", I64), Map.entry("IntStorage", I32),
            Map.entry("ShortStorage", I16), Map.entry("CharStorage", I8), Map.entry("ByteStorage", U8),
            Map.entry("BoolStorage", BOOL), Map.entry("UntypedStorage", U8));

    /** {@code torch.<dtype>} objects, which {@code _rebuild_tensor_v3} receives as its dtype argument. */
    static final Map<String, DType> TORCH_DTYPES = Map.ofEntries(
            Map.entry("float32", F32), Map.entry("float", F32), Map.entry("float64", F64), Map.entry("double", F64),
            Map.entry("float16", F16), Map.entry("half", F16), Map.entry("bfloat16", BF16),
            Map.entry("int64", I64), Map.entry("long", I64), Map.entry("int32", I32), Map.entry("int", I32),
            Map.entry("int16", I16), Map.entry("short", I16), Map.entry("int8", I8), Map.entry("uint8", U8),
            Map.entry("bool", BOOL));
}
