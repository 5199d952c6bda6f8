package io.readtwice.kernels.gpu;

import io.readtwice.kernels.DeviceOutOfMemory;
import jcuda.CudaException;
import jcuda.Pointer;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;

/**
 * Page-locked host memory for activations on their way to and from the device: only pinned memory lets
 * cuMemcpyAsync run on a copy engine while kernels compute. Grows to the largest request and is kept.
 */
final class PinnedStaging implements AutoCloseable {
    private Pointer host;
    private long bytes;
    private FloatBuffer floats;

    /** At least {@code count} floats of pinned memory; the previous contents are not kept. */
    void ensureFloats(long count) {
        long need = count * Float.BYTES;
        if (need <= bytes) {
            return;
        }
        if (count > Integer.MAX_VALUE) {
            throw new DeviceOutOfMemory("pinned staging (more than 2^31 floats)", need, -1);
        }
        close();
        Pointer p = new Pointer();
        try {
            cuMemHostAlloc(p, need, 0);
        } catch (CudaException e) {
            throw GpuErrors.translate("pinned host staging", need, e);
        }
        host = p;
        bytes = need;
        floats = p.getByteBuffer(0, need).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** Host pointer {@code floatOffset} floats in. */
    Pointer at(long floatOffset) {
        return host.withByteOffset(floatOffset * Float.BYTES);
    }

    /** Copies {@code count} floats from {@code src[srcOffset..]} to staging float {@code at}. */
    void put(long at, float[] src, int srcOffset, int count) {
        floats.put(Math.toIntExact(at), src, srcOffset, count);
    }

    /** Copies {@code count} floats from staging float {@code at} to {@code dst[dstOffset..]}. */
    void get(long at, float[] dst, int dstOffset, int count) {
        floats.get(Math.toIntExact(at), dst, dstOffset, count);
    }

    @Override
    public void close() {
        if (host != null) {
            cuMemFreeHost(host);
            host = null;
            bytes = 0;
            floats = null;
        }
    }
}
