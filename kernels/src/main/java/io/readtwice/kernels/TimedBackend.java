package io.readtwice.kernels;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Wraps a backend and adds up the wall time of each operation, for the benchmark's breakdown of where time goes. */
public final class TimedBackend implements Backend {
    private final Backend inner;
    private final Map<String, LongAdder> nanos = new ConcurrentHashMap<>();

    public TimedBackend(Backend inner) {
        this.inner = inner;
    }

    /** Milliseconds per operation since the last reset, by name. */
    public Map<String, Double> millis() {
        Map<String, Double> out = new TreeMap<>();
        nanos.forEach((op, n) -> out.put(op, n.sum() / 1e6));
        return out;
    }

    public void reset() {
        nanos.clear();
    }

    private void add(String op, long start) {
        nanos.computeIfAbsent(op, k -> new LongAdder()).add(System.nanoTime() - start);
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public int maxLinearRows(int in, int out) {
        return inner.maxLinearRows(in, out);
    }

    @Override
    public Matrix matrix(float[] values, int rows, int cols, WeightPrecision precision) {
        return inner.matrix(values, rows, cols, precision);
    }

    @Override
    public Matrix matrix(MatrixSource source, WeightPrecision precision) {
        return inner.matrix(source, precision);
    }

    @Override
    public void linear(float[] x, int xOffset, int rows, Matrix w, float[] bias, float[] y, int yOffset) {
        long t = System.nanoTime();
        inner.linear(x, xOffset, rows, w, bias, y, yOffset);
        add("linear", t);
    }

    @Override
    public void embed(Matrix table, int[] tokens, float[] out) {
        long t = System.nanoTime();
        inner.embed(table, tokens, out);
        add("embed", t);
    }

    @Override
    public void addInPlace(float[] residual, float[] h, int n) {
        long t = System.nanoTime();
        inner.addInPlace(residual, h, n);
        add("addInPlace", t);
    }

    @Override
    public void rmsNorm(float[] x, int rows, int d, float[] w, float eps, float[] y) {
        long t = System.nanoTime();
        inner.rmsNorm(x, rows, d, w, eps, y);
        add("rmsNorm", t);
    }

    @Override
    public void swiGlu(float[] z, int rows, int hidden, float[] out) {
        long t = System.nanoTime();
        inner.swiGlu(z, rows, hidden, out);
        add("swiGlu", t);
    }

    @Override
    public void baseConvPrefill(float[] z, int[] seqStart, int channels, float[] conv, int kernel,
                                float[][] convState, float[] out) {
        long t = System.nanoTime();
        inner.baseConvPrefill(z, seqStart, channels, conv, kernel, convState, out);
        add("baseConvPrefill", t);
    }

    @Override
    public void baseConvStep(float[] z, int batch, int channels, float[] conv, int kernel, float[][] convState,
                             float[] out) {
        long t = System.nanoTime();
        inner.baseConvStep(z, batch, channels, conv, kernel, convState, out);
        add("baseConvStep", t);
    }

    @Override
    public void linearAttentionPrefill(LinearAttentionDims dims, float[] q, float[] k, float[] v, float[] kEnc,
                                       float[] vEnc, int[] seqStart, int[] encStart, int[] maskedKeys,
                                       float[][] state, float[] out) {
        long t = System.nanoTime();
        inner.linearAttentionPrefill(dims, q, k, v, kEnc, vEnc, seqStart, encStart, maskedKeys, state, out);
        add("linearAttentionPrefill", t);
    }

    @Override
    public void linearAttentionStep(LinearAttentionDims dims, float[] q, float[] k, float[] v, int batch,
                                    float kvWeight, float[][] state, float[] out) {
        long t = System.nanoTime();
        inner.linearAttentionStep(dims, q, k, v, batch, kvWeight, state, out);
        add("linearAttentionStep", t);
    }

    @Override
    public void slidingWindowPrefill(WindowDims dims, float[] qkv, int[] seqStart, float[][] keyCache,
                                     float[][] valueCache, float[] out) {
        long t = System.nanoTime();
        inner.slidingWindowPrefill(dims, qkv, seqStart, keyCache, valueCache, out);
        add("slidingWindowPrefill", t);
    }

    @Override
    public void slidingWindowStep(WindowDims dims, float[] qkv, int[] positions, float[][] keyCache,
                                  float[][] valueCache, float[] out) {
        long t = System.nanoTime();
        inner.slidingWindowStep(dims, qkv, positions, keyCache, valueCache, out);
        add("slidingWindowStep", t);
    }
}
