package io.readtwice.kernels.gpu;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/**
 * What every kernel-against-CPU test shares: one CUDA context per test class where the probe finds a GPU, and each
 * test reported as skipped with the probe's reason where it does not.
 */
@Tag("gpu")
abstract class GpuKernelTest {
    static CudaContext context;

    @BeforeAll
    static void openContext() {
        if (GpuProbe.available()) {
            context = CudaContext.open(0);
        }
    }

    /** Per test, so that each one is reported as skipped with the reason. */
    @BeforeEach
    void needsGpu() {
        GpuParity.assumeGpu();
    }

    @AfterAll
    static void closeContext() {
        if (context != null) {
            context.close();
            context = null;
        }
    }
}
