package io.readtwice.bench;

import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.MatrixSource;
import io.readtwice.kernels.TimedBackend;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.kernels.cpu.Parallel;
import io.readtwice.kernels.cpu.Roofline;
import io.readtwice.model.BasedDecode;
import io.readtwice.model.CausalLm;
import io.readtwice.model.LanguageModel;
import io.readtwice.model.ModelConfig;
import io.readtwice.model.ModelWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Times prefill and decode of one model configuration and sets them against the machine's ceilings measured in
 * the same process ({@link Ceilings}): prefill FLOP rate against a float32 GEMM of the model's largest projection,
 * decode rate against the rate the memory bandwidth allows for streaming the weights. That bandwidth is measured
 * after every run by read-only passes over the weights a step reads ({@link Roofline#weightReadGbPerS}),
 * so that decode and its ceiling see the same host at the same time; the streaming sum over a buffer measured
 * before the model was built is reported beside it.
 */
public final class ModelBench {
    private final CausalLm<?> model;
    private final String backendName;
    /** The CPU engine's per-operation timer when --profile wrapped its backend, else null. */
    private final TimedBackend timed;
    /** What a decode step streams from host memory: empty for a model whose weights live on a GPU. */
    private final List<Matrix> decodeMatrices;
    private final ModelConfig config;
    private final long weightBytes;
    private final int threads;
    private final Ceilings ceilings;
    /** A pool as wide as the backend's, for the weight-read probe between runs. */
    private final Parallel probeThreads;

    /**
     * The engine behind the Backend seam.
     *
     * @param weightBytes bytes of weights a decode step reads, from {@link #weightBytes}
     * @param ceilings    measured before the model was built, with a GEMM rate for every configuration's rows
     */
    public ModelBench(LanguageModel model, long weightBytes, int threads, Ceilings ceilings) {
        this(model, model.backend().name(), model.backend() instanceof TimedBackend t ? t : null,
                model.decodeMatrices(), weightBytes, threads, ceilings);
    }

    /** Any model, such as the GPU-resident one (no per-operation profile, no weight-read probe). */
    public ModelBench(CausalLm<?> model, String backendName, long weightBytes, int threads, Ceilings ceilings) {
        this(model, backendName, null, List.of(), weightBytes, threads, ceilings);
    }

    private ModelBench(CausalLm<?> model, String backendName, TimedBackend timed, List<Matrix> decodeMatrices,
                       long weightBytes, int threads, Ceilings ceilings) {
        this.model = model;
        this.backendName = backendName;
        this.timed = timed;
        this.decodeMatrices = decodeMatrices;
        this.config = model.config();
        this.weightBytes = weightBytes;
        this.threads = threads;
        this.ceilings = ceilings;
        this.probeThreads = new Parallel(threads);
    }

    /** Measurements of one (prompt length, batch) configuration, as the --json object's fields. */
    public Map<String, Object> run(int promptTokens, int batch, int newTokens, int warmup, int repeats) {
        return runInterleaved(List.of(new int[] {promptTokens, batch}), newTokens, warmup, repeats).get(0);
    }

    /**
     * Measures several (prompt length, batch) configurations: the warm-up runs of each, then {@code repeats} rounds
     * that time every configuration once, so that a drift of the machine (other load, clocks, memory) during the
     * measurement spreads over all of them instead of favouring the first. Results in the order given.
     */
    public List<Map<String, Object>> runInterleaved(List<int[]> configurations, int newTokens, int warmup,
                                                    int repeats) {
        List<Configuration> runs = new ArrayList<>();
        for (int[] c : configurations) {
            runs.add(new Configuration(c[0], c[1], repeats));
        }
        for (Configuration c : runs) {
            for (int r = 0; r < warmup; r++) {
                c.time(newTokens, -1);
            }
        }
        for (int r = 0; r < repeats; r++) {
            for (Configuration c : runs) {
                c.time(newTokens, r);
            }
        }
        List<Map<String, Object>> results = new ArrayList<>();
        for (Configuration c : runs) {
            results.add(c.result(newTokens, repeats));
        }
        return results;
    }

    /** One configuration's prompts and what its runs measured (profile and peak RSS over its runs only). */
    private final class Configuration {
        final int promptTokens;
        final int batch;
        final List<int[]> prompts;
        final long[] prefillNanos;
        final long[] decodeNanos;
        final double[] weightReadGbPerS;
        final Map<String, Double> profile = new TreeMap<>();
        double peakRss = -1;

        Configuration(int promptTokens, int batch, int repeats) {
            this.promptTokens = promptTokens;
            this.batch = batch;
            this.prompts = prompts(promptTokens, batch);
            this.prefillNanos = new long[repeats];
            this.decodeNanos = new long[repeats];
            this.weightReadGbPerS = new double[repeats];
        }

        /** One prefill and newTokens − 1 steps; recorded as repeat {@code r} unless r < 0 (warm-up). */
        void time(int newTokens, int r) {
            resetPeakRss();
            if (timed != null) {
                timed.reset();
            }
            long[] nanos = prefillAndDecode(model, prompts, batch, newTokens);
            // The bandwidth of this moment (on a shared host it drifts by a third within minutes), best of two; taken
            // in warm-up runs too, so that the probe's own loop is compiled before it counts.
            double bandwidth = decodeMatrices.isEmpty() ? Double.NaN
                    : Math.max(Roofline.weightReadGbPerS(decodeMatrices, probeThreads),
                            Roofline.weightReadGbPerS(decodeMatrices, probeThreads));
            if (r >= 0) {
                prefillNanos[r] = nanos[0];
                decodeNanos[r] = nanos[1];
                weightReadGbPerS[r] = bandwidth;
            }
            peakRss = Math.max(peakRss, peakRssMb());
            if (timed != null) {
                timed.millis().forEach((op, ms) -> profile.merge(op, ms, Double::sum));
            }
        }

        Map<String, Object> result(int newTokens, int repeats) {
            double prefillSeconds = median(prefillNanos) / 1e9;
            double decodeSeconds = median(decodeNanos) / 1e9;
            double prefillFlops = LinearFlops.prefill(config, promptTokens, batch);
            double decodeSteps = Math.max(1, newTokens - 1);

            double gemmCeiling = ceilings.gemmGflops(Ceilings.gemmRows(promptTokens, batch));
            double weightRead = median(weightReadGbPerS);
            double bandwidth = Double.isNaN(weightRead) ? ceilings.bandwidthGbPerS() : weightRead;
            // Each decode step streams every weight once, whatever the batch.
            double bandwidthBoundTokensPerS = bandwidth * 1e9 / weightBytes * batch;

            Map<String, Object> out = new LinkedHashMap<>();
            out.put("backend", backendName);
            out.put("weights", model.precision().label());
            out.put("threads", threads);
            out.put("prompt_tokens", promptTokens);
            out.put("batch", batch);
            out.put("new_tokens", newTokens);
            out.put("repeats", repeats);
            out.put("weights_mb", weightBytes / 1e6);
            out.put("prefill_seconds", prefillSeconds);
            out.put("prefill_tokens_per_s", promptTokens * batch / prefillSeconds);
            out.put("gflops_per_s", prefillFlops / prefillSeconds / 1e9);
            out.put("gemm_ceiling_gflops_per_s", gemmCeiling);
            out.put("prefill_fraction_of_gemm", prefillFlops / prefillSeconds / 1e9 / gemmCeiling);
            out.put("decode_ms_per_step", decodeSeconds / decodeSteps * 1e3);
            out.put("decode_tokens_per_s", decodeSteps * batch / decodeSeconds);
            out.put("memory_bandwidth_gb_per_s", bandwidth);
            out.put("buffer_bandwidth_gb_per_s", ceilings.bandwidthGbPerS());
            out.put("decode_fraction_of_bandwidth", decodeSteps * batch / decodeSeconds / bandwidthBoundTokensPerS);
            out.put("peak_rss_mb", peakRss);
            if (timed != null) {
                // Milliseconds per backend operation over this configuration's warm-up and timed runs.
                out.put("profile_ms", profile);
            }
            return out;
        }
    }

    /** Nanoseconds of one prefill of {@code prompts} and of newTokens − 1 greedy steps after it. */
    private <S extends CausalLm.Sequence> long[] prefillAndDecode(CausalLm<S> lm, List<int[]> prompts, int batch,
                                                                  int newTokens) {
        long t0 = System.nanoTime();
        CausalLm.Prefill<S> prefill = lm.prefill(prompts, null, false);
        long t1 = System.nanoTime();
        try {
            float[] logits = prefill.logits();
            for (int step = 1; step < newTokens; step++) {
                logits = lm.step(prefill.states(), argmax(logits, batch), BasedDecode.CONSISTENT);
            }
            return new long[] {t1 - t0, System.nanoTime() - t1};
        } finally {
            lm.release(prefill.states());
        }
    }

    private List<int[]> prompts(int promptTokens, int batch) {
        SplittableRandom random = new SplittableRandom(promptTokens * 31L + batch);
        List<int[]> prompts = new ArrayList<>(batch);
        for (int s = 0; s < batch; s++) {
            prompts.add(random.ints(promptTokens, 0, config.vocabSize()).toArray());
        }
        return prompts;
    }

    private int[] argmax(float[] logits, int batch) {
        int vocab = config.paddedVocab();
        int[] next = new int[batch];
        for (int s = 0; s < batch; s++) {
            int best = 0;
            for (int i = 1; i < vocab; i++) {
                if (logits[s * vocab + i] > logits[s * vocab + best]) {
                    best = i;
                }
            }
            next[s] = best;
        }
        return next;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }

    /**
     * Bytes a decode step reads: every weight matrix, the embedding once (it is also the lm_head), at the storage's
     * bytes per weight, plus the float32 norms, biases and convolution taps (a few thousand floats).
     */
    public static long weightBytes(ModelWeights w, WeightPrecision precision) {
        long matrices = size(w.embedding());
        long vectors = w.lnF().length;
        for (ModelWeights.LayerWeights layer : w.layers()) {
            matrices += size(layer.fc1()) + size(layer.fc2());
            vectors += layer.norm1().length + layer.norm2().length;
            ModelWeights.MixerWeights m = layer.mixer();
            if (m instanceof ModelWeights.BaseConvWeights c) {
                matrices += size(c.inProj()) + size(c.outProj());
                vectors += c.inBias().length + c.conv().length + c.outBias().length;
            } else if (m instanceof ModelWeights.PrefixLinearAttentionWeights p) {
                // k_enc and v_enc are not read while decoding.
                matrices += size(p.projQ()) + size(p.projK()) + size(p.projV()) + size(p.outProj());
            } else if (m instanceof ModelWeights.LinearAttentionWeights l) {
                matrices += size(l.projQ()) + size(l.projK()) + size(l.projV()) + size(l.outProj());
            } else if (m instanceof ModelWeights.SlidingWindowWeights sw) {
                matrices += size(sw.wqkv()) + size(sw.outProj());
            }
        }
        return matrices * precision.bytes() + vectors * Float.BYTES;
    }

    private static long size(MatrixSource m) {
        return (long) m.rows() * m.cols();
    }

    /**
     * Starts the peak-RSS window at this configuration's runs: collects what earlier work left and resets VmHWM
     * (Linux: "5" to /proc/self/clear_refs).
     */
    private static void resetPeakRss() {
        System.gc();
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // Not Linux or not allowed: the peak then covers the whole process.
        }
    }

    /** The process's peak resident set (VmHWM), or -1 where /proc is not available. */
    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
