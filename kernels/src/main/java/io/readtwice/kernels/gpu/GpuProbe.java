package io.readtwice.kernels.gpu;

import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * Whether this JVM can run the CUDA kernels: JCuda's driver library loads (it needs {@code libcuda.so.1}),
 * {@code cuInit} succeeds, device 0 has compute capability 8.0 or more (the fatbins carry sm_80 and sm_90a code),
 * and the kernels were built into the jar. Asked once, the answer cached; nothing thrown escapes.
 *
 * <p>Only this package touches JCuda: without a driver the first touch of {@code JCudaDriver} throws
 * {@link UnsatisfiedLinkError} and every later one {@link NoClassDefFoundError} (gpu-notes §1.3), so callers elsewhere
 * ask here and fall back to the CPU engine.
 */
public final class GpuProbe {
    static final int MIN_COMPUTE_CAPABILITY = 80;

    private GpuProbe() {
    }

    /** True when the GPU path can be used. */
    public static boolean available() {
        return Answer.ANSWER.available;
    }

    /** The device ("NVIDIA H100 80GB HBM3, sm_90, 79.1 GiB") or why there is none, one line. */
    public static String description() {
        return Answer.ANSWER.description;
    }

    private record Result(boolean available, String description) {
    }

    /** Lazy holder: the probe runs on first use only. */
    private static final class Answer {
        static final Result ANSWER = probe();
    }

    private static Result probe() {
        try {
            if (!KernelResources.built()) {
                return new Result(false, "the CUDA kernels were not built into this jar (no nvcc at build time)");
            }
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
            int[] count = new int[1];
            JCudaDriver.cuDeviceGetCount(count);
            if (count[0] < 1) {
                return new Result(false, "the CUDA driver reports no device");
            }
            CUdevice device = new CUdevice();
            JCudaDriver.cuDeviceGet(device, 0);
            int capability = computeCapability(device);
            String summary = summary(device, capability);
            if (capability < MIN_COMPUTE_CAPABILITY) {
                return new Result(false, summary + ": compute capability below 8.0");
            }
            return new Result(true, summary);
        } catch (Throwable t) {  // UnsatisfiedLinkError, NoClassDefFoundError, CudaException: all mean "no GPU"
            return new Result(false, "no usable CUDA driver or GPU: " + oneLine(t));
        }
    }

    /** Major·10 + minor. */
    static int computeCapability(CUdevice device) {
        int[] major = new int[1];
        int[] minor = new int[1];
        JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                device);
        JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                device);
        return major[0] * 10 + minor[0];
    }

    private static String summary(CUdevice device, int capability) {
        byte[] name = new byte[256];
        JCudaDriver.cuDeviceGetName(name, name.length, device);
        long[] bytes = new long[1];
        JCudaDriver.cuDeviceTotalMem(bytes, device);
        int end = 0;
        while (end < name.length && name[end] != 0) {
            end++;
        }
        return String.format(java.util.Locale.ROOT, "%s, sm_%d, %.1f GiB", new String(name, 0, end,
                java.nio.charset.StandardCharsets.US_ASCII), capability, bytes[0] / (double) (1L << 30));
    }

    private static String oneLine(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.replaceAll("\\s+", " ").trim();
    }
}
