package io.readtwice.kernels.bench;

import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * A decode step's projections without the rest of the model: 24 fc1-shaped matrices [4096, 1024] (384 MB in
 * float32, 12× the L3) multiplied one after another with 1 or 8 rows, so the weights come from DRAM as they do in
 * a 360M decode step. Divide the bytes read (24 × 16 MB in fp32, half in 16 bits) by the time for GB/s and compare
 * with the bench's streaming-sum bandwidth; 8 rows should cost little more than 1 if the product is memory-bound.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DecodeLinearBench {
    private static final int MATRICES = 24;
    private static final int IN = 1024;
    private static final int OUT = 4096;

    @Param({"1", "8"})
    int rows;

    @Param({"FP32", "BF16", "FP16"})
    WeightPrecision weights;

    private CpuBackend backend;
    private Matrix[] w;
    private float[] x;
    private float[] y;

    @Setup
    public void setUp() {
        backend = new CpuBackend();
        w = new Matrix[MATRICES];
        for (int m = 0; m < MATRICES; m++) {
            w[m] = backend.matrix(KernelState.random(OUT * IN, 0.03, 2 + m), OUT, IN, weights);
        }
        x = KernelState.random(rows * IN, 1, 1);
        y = new float[rows * OUT];
    }

    @Benchmark
    public float[] step() {
        for (Matrix matrix : w) {
            backend.linear(x, 0, rows, matrix, null, y, 0);
        }
        return y;
    }
}
