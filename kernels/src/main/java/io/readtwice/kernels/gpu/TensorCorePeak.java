package io.readtwice.kernels.gpu;

import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * The dense bf16 tensor-core peak of a device: SMs × SM clock × dense bf16 multiply-adds per clock per SM × 2.
 *
 * <p>Multiply-adds per clock per SM (dense, bf16 inputs, fp32 accumulation), checked against NVIDIA's published
 * peaks: sm_90 (H100, H200) 2048 — the H100 SXM5 whitepaper's 989.4 TFLOP/s = 132 SMs × 1830 MHz × 2048 × 2;
 * sm_80 (A100) 1024 — 312 TFLOP/s = 108 × 1410 MHz × 1024 × 2; sm_86 / sm_89 (A10, L4, L40S) 512 — A10's
 * 125 TFLOP/s = 72 × 1695 MHz × 512 × 2 (GeForce parts run fp32 accumulation at half that). Others: unknown.
 *
 * <p>The clock is the driver's {@code CU_DEVICE_ATTRIBUTE_CLOCK_RATE}, the highest SM clock (1980 MHz on an H100
 * SXM: 1070 TFLOP/s, above the whitepaper's figure at 1830 MHz); clocks drop under sustained tensor load, so a
 * fraction of this peak is a conservative figure.
 */
public final class TensorCorePeak {
    private TensorCorePeak() {
    }

    /** Dense bf16 multiply-adds per clock per SM for compute capability major·10 + minor; 0 when unknown. */
    public static int denseBf16FmaPerClockPerSm(int computeCapability) {
        return switch (computeCapability) {
            case 90 -> 2048;
            case 80 -> 1024;
            case 86, 87, 89 -> 512;
            default -> 0;
        };
    }

    /** Peak TFLOP/s (2 FLOP per multiply-add); NaN for an unknown architecture. */
    public static double tflops(int computeCapability, int sms, long clockKhz) {
        int fma = denseBf16FmaPerClockPerSm(computeCapability);
        return fma == 0 ? Double.NaN : 2.0 * fma * sms * clockKhz * 1e3 / 1e12;
    }

    /** The peak of device {@code ordinal}, from the driver's SM count and clock; needs a GPU. */
    public static double tflops(CudaContext context, int ordinal) {
        context.makeCurrent();
        CUdevice device = new CUdevice();
        JCudaDriver.cuDeviceGet(device, ordinal);
        int[] sms = new int[1];
        int[] clockKhz = new int[1];
        JCudaDriver.cuDeviceGetAttribute(sms, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
        JCudaDriver.cuDeviceGetAttribute(clockKhz, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE, device);
        return tflops(context.computeCapability(), sms[0], clockKhz[0]);
    }
}
