package io.readtwice.bench;

import io.readtwice.kernels.Backend;
import io.readtwice.kernels.cpu.Roofline;
import io.readtwice.model.ModelConfig;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * The machine's two ceilings for a benchmark run (../shared/docs/cpu-performance.md §5): the float32 GEMM rate of
 * the model's largest projection (fc1) at each row count the run needs, and the read bandwidth of a streaming sum.
 * Measured before the model is built: their buffers (256 MB for the bandwidth) are garbage by then, and the heap
 * they took is reused for the weights instead of adding to the process's peak memory.
 *
 * @param gemmGflopsByRows GEMM GFLOP/s of {@code [rows, d] × [2·h_mlp, d]ᵀ} by rows
 * @param bandwidthGbPerS  read bandwidth on the run's threads, GB/s
 */
public record Ceilings(Map<Integer, Double> gemmGflopsByRows, double bandwidthGbPerS) {
    /** Rows of the GEMM ceiling: a prefill's rows, at most 2048 (the rate is flat beyond). */
    public static int gemmRows(int promptTokens, int batch) {
        return Math.min(promptTokens * batch, 2048);
    }

    /** Best of three of each, on {@code backend} with {@code threads} threads. */
    public static Ceilings measure(Backend backend, ModelConfig config, Collection<Integer> rows, int threads) {
        Map<Integer, Double> gemm = new TreeMap<>();
        for (int r : rows) {
            gemm.computeIfAbsent(r, n -> Roofline.gemmGflops(backend, n, config.dModel(), 2 * config.mlpHidden(), 3));
        }
        return new Ceilings(Map.copyOf(gemm), Roofline.readBandwidthGbPerS(threads, 3));
    }

    public double gemmGflops(int rows) {
        Double g = gemmGflopsByRows.get(rows);
        if (g == null) {
            throw new IllegalArgumentException("no GEMM ceiling measured for " + rows + " rows");
        }
        return g;
    }
}
