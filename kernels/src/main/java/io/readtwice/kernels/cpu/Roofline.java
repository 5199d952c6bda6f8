package io.readtwice.kernels.cpu;

import io.readtwice.kernels.Backend;
import io.readtwice.kernels.Matrix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The two ceilings a CPU run is judged against, measured in the same process as the run: the float32 GEMM rate
 * of a given shape through the backend (prefill is compute-bound), and the read bandwidth of a streaming sum over a
 * buffer several times the last-level cache or over the model's own weights (decode is memory-bound).
 */
public final class Roofline {
    private static final long MIN_STREAM_BYTES = 256L << 20;

    private Roofline() {
    }

    /** Best-of-{@code repeats} GFLOP/s of {@code y[rows, out] = x[rows, in]·wᵀ} on the backend. */
    public static double gemmGflops(Backend backend, int rows, int in, int out, int repeats) {
        float[] x = filled(rows * in);
        float[] w = filled(out * in);
        float[] y = new float[rows * out];
        backend.linear(x, 0, rows, in, w, out, null, y, 0);
        long best = Long.MAX_VALUE;
        for (int r = 0; r < repeats; r++) {
            long t = System.nanoTime();
            backend.linear(x, 0, rows, in, w, out, null, y, 0);
            best = Math.min(best, System.nanoTime() - t);
        }
        return 2.0 * rows * in * out / best;
    }

    /** Best-of-{@code repeats} GB/s of a read-only sum over a buffer ≥ 4× the last-level cache, on {@code threads}. */
    public static double readBandwidthGbPerS(int threads, int repeats) {
        long bytes = Math.max(MIN_STREAM_BYTES, 4 * lastLevelCacheBytes());
        int floats = (int) Math.min(Integer.MAX_VALUE - 64, bytes / 4);
        float[] buffer = filled(floats);
        Parallel parallel = new Parallel(threads);
        int parts = Math.max(1, threads);
        DoubleAdder sink = new DoubleAdder();
        long best = Long.MAX_VALUE;
        for (int r = 0; r <= repeats; r++) {
            long t = System.nanoTime();
            parallel.forEach(parts, p -> {
                int from = (int) ((long) floats * p / parts);
                int to = (int) ((long) floats * (p + 1) / parts);
                sink.add(VectorOps.sum(buffer, from, to - from));
            });
            long elapsed = System.nanoTime() - t;
            if (r > 0) {
                best = Math.min(best, elapsed);
            }
        }
        if (sink.sum() == 42) {
            System.out.print("");  // keeps the sums alive
        }
        return (double) floats * 4 / best;
    }

    /**
     * GB/s of one read-only pass over the storage of {@code matrices} (float32 values, 16-bit pairs), the bytes laid
     * end to end and split into one contiguous share per thread (one fork for everything, so no per-matrix
     * synchronisation lowers the ceiling): the bandwidth a decode step reading exactly these bytes could reach,
     * measurable between timed runs without a buffer beside the weights. NaN when a matrix is not in host memory.
     */
    public static double weightReadGbPerS(List<Matrix> matrices, Parallel parallel) {
        long[] start = new long[matrices.size() + 1];
        for (int i = 0; i < matrices.size(); i++) {
            Matrix m = matrices.get(i);
            if (!(m instanceof F32Matrix) && !(m instanceof HalfMatrix)) {
                return Double.NaN;
            }
            start[i + 1] = start[i] + m.bytes();
        }
        long total = start[matrices.size()];
        int parts = parallel.threads();
        LongAdder sink = new LongAdder();
        long t = System.nanoTime();
        parallel.forEach(parts, p -> {
            long from = total * p / parts;
            long to = total * (p + 1) / parts;
            for (int i = 0; i < matrices.size(); i++) {
                long lo = Math.max(from, start[i]) - start[i];
                long hi = Math.min(to, start[i + 1]) - start[i];
                if (lo < hi) {
                    sink.add(readBytes(matrices.get(i), lo, hi));
                }
            }
        });
        long elapsed = System.nanoTime() - t;
        if (sink.sum() == 42) {
            System.out.print("");  // keeps the sums alive
        }
        return (double) total / elapsed;
    }

    /** Sums the storage of m between two byte offsets (multiples of 4: both storages are arrays of 4-byte items). */
    private static long readBytes(Matrix m, long fromByte, long toByte) {
        int from = (int) (fromByte / 4);
        int n = (int) (toByte / 4) - from;
        return m instanceof F32Matrix f ? (long) VectorOps.sum(f.values(), from, n)
                : VectorOps.sumInts(((HalfMatrix) m).pairs, from, n);
    }

    /** Size of the last-level cache from sysfs, 32 MiB when unknown. */
    public static long lastLevelCacheBytes() {
        long largest = 0;
        for (int index = 0; index < 8; index++) {
            Path file = Path.of("/sys/devices/system/cpu/cpu0/cache/index" + index + "/size");
            try {
                String text = Files.readString(file).trim().toUpperCase(Locale.ROOT);
                long unit = text.endsWith("K") ? 1024 : text.endsWith("M") ? 1 << 20 : 1;
                String digits = text.replaceAll("[^0-9]", "");
                largest = Math.max(largest, Long.parseLong(digits) * unit);
            } catch (IOException | NumberFormatException e) {
                break;
            }
        }
        return largest > 0 ? largest : 32L << 20;
    }

    private static float[] filled(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (i % 17) * 0.01f;
        }
        return a;
    }
}
