package io.readtwice.kernels.bench;

import io.readtwice.kernels.CpuBackend;
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
 * The 360M model's MLP input projection (fc1, [4096, 1024]) at prefill and decode row counts: 1024 rows is
 * compute-bound (compare with 2·1024·1024·4096 FLOPs), 1 and 8 rows are bound by reading w (16 MB).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class LinearBench {
    @Param({"1", "8", "1024"})
    int rows;

    private final int in = 1024;
    private final int out = 4096;
    private CpuBackend backend;
    private float[] x;
    private float[] w;
    private float[] y;

    @Setup
    public void setUp() {
        backend = new CpuBackend();
        x = KernelState.random(rows * in, 1, 1);
        w = KernelState.random(out * in, 0.03, 2);
        y = new float[rows * out];
    }

    @Benchmark
    public float[] fc1() {
        backend.linear(x, 0, rows, in, w, out, null, y, 0);
        return y;
    }
}
