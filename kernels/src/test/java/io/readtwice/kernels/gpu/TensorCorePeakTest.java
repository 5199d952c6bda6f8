package io.readtwice.kernels.gpu;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The peak formula against NVIDIA's published dense bf16 figures, and the GEMM benchmark's shapes and rows. */
class TensorCorePeakTest {

    @Test
    void publishedPeaksAreReproduced() {
        assertEquals(989.4, TensorCorePeak.tflops(90, 132, 1_830_000), 0.1);   // H100 SXM5 whitepaper
        assertEquals(312.0, TensorCorePeak.tflops(80, 108, 1_410_000), 0.5);   // A100
        assertEquals(125.0, TensorCorePeak.tflops(86, 72, 1_695_000), 0.5);    // A10
        assertEquals(1070.5, TensorCorePeak.tflops(90, 132, 1_980_000), 0.1);  // what an H100 SXM driver reports
        assertTrue(Double.isNaN(TensorCorePeak.tflops(75, 40, 1_590_000)), "unknown architectures give NaN");
    }

    @Test
    void gemmBenchmarkUsesTheBackendsLaunchRowsAndTheModelsLargestShapes() {
        assertEquals(4096, GemmBenchmark.rows(2048, 16));
        assertEquals(4096, GemmBenchmark.rows(32768, 16));
        assertEquals(1000, GemmBenchmark.rows(1000, 1));
        assertEquals(List.of(new GemmBenchmark.Shape("fc1", 4096, 1024), new GemmBenchmark.Shape("fc2", 1024, 2048)),
                GemmBenchmark.modelShapes(1024, 2048));
    }
}
