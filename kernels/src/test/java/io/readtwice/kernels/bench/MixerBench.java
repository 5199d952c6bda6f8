package io.readtwice.kernels.bench;

import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.LinearAttentionDims;
import io.readtwice.kernels.WindowDims;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One layer's mixer kernels of the 360M shape (16 heads, feature dim 16, head dim 64, window 128 back, 2048 conv
 * channels) over a 1024-token prompt, and one decode step: the non-projection work of prefill and decode.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class MixerBench {
    private static final int T = 1024;
    private static final int CHANNELS = 2048;

    private final LinearAttentionDims attention = new LinearAttentionDims(16, 16, 64, 1e-12f);
    private final WindowDims window = new WindowDims(16, 64, 128, 10000f);
    private CpuBackend backend;
    private float[] q;
    private float[] k;
    private float[] v;
    private float[] qkv;
    private float[] z;
    private float[] conv;
    private float[] out;
    private float[][] state;
    private float[][] keys;
    private float[][] values;
    private float[][] convState;

    @Setup
    public void setUp() {
        backend = new CpuBackend();
        q = KernelState.random(T * 256, 0.3, 1);
        k = KernelState.random(T * 256, 0.3, 2);
        v = KernelState.random(T * 1024, 1, 3);
        qkv = KernelState.random(T * 3 * 1024, 1, 4);
        z = KernelState.random(T * 2 * CHANNELS, 1, 5);
        conv = KernelState.random(CHANNELS * 3, 0.5, 6);
        out = new float[T * CHANNELS];
        state = new float[][] {new float[attention.stateSize()]};
        keys = new float[][] {new float[window.cacheSize()]};
        values = new float[][] {new float[window.cacheSize()]};
        convState = new float[][] {new float[3 * CHANNELS]};
    }

    /** Prefix linear attention: encoder over all 1024 tokens, then the causal pass. */
    @Benchmark
    public float[] prefixLinearAttentionPrefill() {
        backend.linearAttentionPrefill(attention, q, k, v, k, v, new int[] {0, T}, new int[] {0, T}, null, state, out);
        return out;
    }

    @Benchmark
    public float[] linearAttentionStep() {
        backend.linearAttentionStep(attention, q, k, v, 1, 1f, state, out);
        return out;
    }

    @Benchmark
    public float[] slidingWindowPrefill() {
        backend.slidingWindowPrefill(window, qkv, new int[] {0, T}, keys, values, out);
        return out;
    }

    @Benchmark
    public float[] baseConvPrefill() {
        backend.baseConvPrefill(z, new int[] {0, T}, CHANNELS, conv, 3, convState, out);
        return out;
    }

    @Benchmark
    public float[] swiGlu() {
        backend.swiGlu(z, T, CHANNELS, out);
        return out;
    }
}
