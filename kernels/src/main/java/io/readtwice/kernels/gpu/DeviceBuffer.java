package io.readtwice.kernels.gpu;

import io.readtwice.kernels.cpu.Bf16Matrix;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * {@code elements} values of one {@link ElementType} on the device: either a {@code cuMemAlloc} allocation of its own,
 * or a view of memory owned elsewhere (a {@link DeviceMemory} block, or a row range of another buffer via
 * {@link #slice}), which {@link #close} leaves alone. Float uploads to a bfloat16 buffer round to nearest even on the
 * host (as {@link Bf16Matrix} does); downloads widen. Copies are synchronous.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final CudaContext context;
    private final ElementType type;
    private final long elements;
    private final CUdeviceptr pointer;
    /** False for a view: the memory belongs to someone else and is not freed here. */
    private final boolean owned;
    private boolean freed;

    private DeviceBuffer(CudaContext context, ElementType type, long elements) {
        this(context, type, elements, new CUdeviceptr(), true);
    }

    private DeviceBuffer(CudaContext context, ElementType type, long elements, CUdeviceptr pointer, boolean owned) {
        this.context = context;
        this.type = type;
        this.elements = elements;
        this.pointer = pointer;
        this.owned = owned;
    }

    /** A view of {@code elements} values at {@code pointer}, memory that someone else allocated and frees. */
    static DeviceBuffer view(CudaContext context, ElementType type, long elements, CUdeviceptr pointer) {
        if (elements < 1) {
            throw new IllegalArgumentException("a device buffer needs at least one element, got " + elements);
        }
        return new DeviceBuffer(context, type, elements, pointer, false);
    }

    /**
     * Elements {@code [from, from + count)} of this buffer as a view (e.g. the rows of one sequence): valid while this
     * buffer is; closing it does nothing.
     */
    public DeviceBuffer slice(long from, long count) {
        if (from < 0 || count < 1 || from + count > elements) {
            throw new IllegalArgumentException("slice [" + from + ", " + (from + count) + ") of a buffer of "
                    + elements + " elements");
        }
        return new DeviceBuffer(context, type, count, pointer().withByteOffset(from * type.bytes()), false);
    }

    public static DeviceBuffer allocate(CudaContext context, ElementType type, long elements) {
        if (elements < 1) {
            throw new IllegalArgumentException("a device buffer needs at least one element, got " + elements);
        }
        DeviceBuffer b = new DeviceBuffer(context, type, elements);
        context.makeCurrent();
        JCudaDriver.cuMemAlloc(b.pointer, b.bytes());
        return b;
    }

    /** A new buffer holding {@code values} as {@code type} (F32 or BF16). */
    public static DeviceBuffer of(CudaContext context, ElementType type, float[] values) {
        DeviceBuffer b = allocate(context, type, Math.max(1, values.length));
        b.upload(values);
        return b;
    }

    /** A new int32 buffer holding {@code values}. */
    public static DeviceBuffer of(CudaContext context, int[] values) {
        DeviceBuffer b = allocate(context, ElementType.I32, Math.max(1, values.length));
        b.upload(values);
        return b;
    }

    public ElementType type() {
        return type;
    }

    public long elements() {
        return elements;
    }

    public long bytes() {
        return elements * type.bytes();
    }

    public void upload(float[] values) {
        checkCount("upload", values.length);
        context.makeCurrent();
        switch (type) {
            case F32 -> JCudaDriver.cuMemcpyHtoD(pointer(), Pointer.to(values), (long) values.length * 4);
            case BF16 -> {
                short[] bits = new short[values.length];
                for (int i = 0; i < values.length; i++) {
                    bits[i] = Bf16Matrix.toBf16(values[i]);
                }
                JCudaDriver.cuMemcpyHtoD(pointer(), Pointer.to(bits), (long) bits.length * 2);
            }
            case I32 -> throw new IllegalArgumentException("float upload to an int32 buffer");
        }
    }

    public void upload(int[] values) {
        if (type != ElementType.I32) {
            throw new IllegalArgumentException("int upload to a " + type + " buffer");
        }
        checkCount("upload", values.length);
        context.makeCurrent();
        JCudaDriver.cuMemcpyHtoD(pointer(), Pointer.to(values), (long) values.length * 4);
    }

    /** Copies the first {@code values.length} elements to the host, widened to float32. */
    public void download(float[] values) {
        checkCount("download", values.length);
        context.makeCurrent();
        switch (type) {
            case F32 -> JCudaDriver.cuMemcpyDtoH(Pointer.to(values), pointer(), (long) values.length * 4);
            case BF16 -> {
                short[] bits = new short[values.length];
                JCudaDriver.cuMemcpyDtoH(Pointer.to(bits), pointer(), (long) bits.length * 2);
                for (int i = 0; i < values.length; i++) {
                    values[i] = Bf16Matrix.toFloat(bits[i]);
                }
            }
            case I32 -> throw new IllegalArgumentException("float download from an int32 buffer");
        }
    }

    public void download(int[] values) {
        if (type != ElementType.I32) {
            throw new IllegalArgumentException("int download from a " + type + " buffer");
        }
        checkCount("download", values.length);
        context.makeCurrent();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(values), pointer(), (long) values.length * 4);
    }

    /** Repeats {@code pattern} (converted to this buffer's type) over the whole buffer: benchmark inputs. */
    public void fill(float[] pattern) {
        if (pattern.length == 0) {
            throw new IllegalArgumentException("empty fill pattern");
        }
        DeviceBuffer staging = of(context, type, pattern);
        try {
            context.makeCurrent();
            long step = staging.bytes();
            for (long at = 0; at < bytes(); at += step) {
                JCudaDriver.cuMemcpyDtoD(pointer().withByteOffset(at), staging.pointer(), Math.min(step, bytes() - at));
            }
        } finally {
            staging.close();
        }
    }

    /** Sets every byte to 0 (0.0f, bf16 0, int 0). */
    public void zero() {
        context.makeCurrent();
        JCudaDriver.cuMemsetD8(pointer(), (byte) 0, bytes());
    }

    CUdeviceptr pointer() {
        if (freed) {
            throw new IllegalStateException("device buffer used after close");
        }
        return pointer;
    }

    private void checkCount(String what, long count) {
        if (count > elements) {
            throw new IllegalArgumentException(what + " of " + count + " values into a buffer of " + elements);
        }
    }

    @Override
    public void close() {
        if (!freed) {
            if (owned) {
                context.makeCurrent();
                JCudaDriver.cuMemFree(pointer);
            }
            freed = true;
        }
    }
}
