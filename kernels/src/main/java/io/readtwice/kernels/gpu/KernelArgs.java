package io.readtwice.kernels.gpu;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import java.util.ArrayList;
import java.util.List;

/** The parameter list of one launch, in the order of the kernel's C signature. */
public final class KernelArgs {
    private static final CUdeviceptr NULL = new CUdeviceptr();
    private final List<Pointer> values = new ArrayList<>();

    public KernelArgs buffer(DeviceBuffer buffer) {
        values.add(Pointer.to(buffer.pointer()));
        return this;
    }

    /** A device pointer, or the C null pointer for an optional argument left out. */
    public KernelArgs bufferOrNull(DeviceBuffer buffer) {
        values.add(Pointer.to(buffer == null ? NULL : buffer.pointer()));
        return this;
    }

    /** A raw device pointer (e.g. into an arena), or the C null pointer for null. */
    public KernelArgs pointer(CUdeviceptr pointer) {
        values.add(Pointer.to(pointer == null ? NULL : pointer));
        return this;
    }

    public KernelArgs i32(int value) {
        values.add(Pointer.to(new int[] {value}));
        return this;
    }

    /** A C {@code long long}. */
    public KernelArgs i64(long value) {
        values.add(Pointer.to(new long[] {value}));
        return this;
    }

    public KernelArgs f32(float value) {
        values.add(Pointer.to(new float[] {value}));
        return this;
    }

    Pointer toPointer() {
        return Pointer.to(values.toArray(new Pointer[0]));
    }
}
