package io.readtwice.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.readtwice.answer.ModelHolder;
import io.readtwice.bench.Ceilings;
import io.readtwice.bench.ModelBench;
import io.readtwice.checkpoint.CheckpointLoader;
import io.readtwice.checkpoint.ModelCheckpoint;
import io.readtwice.checkpoint.WeightsFormat;
import io.readtwice.kernels.Backend;
import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.TimedBackend;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.kernels.gpu.GemmBenchmark;
import io.readtwice.kernels.gpu.GpuBackend;
import io.readtwice.model.LanguageModel;
import io.readtwice.model.ModelConfig;
import io.readtwice.model.ModelWeights;
import io.readtwice.model.gpu.DeviceLanguageModel;
import io.readtwice.model.RandomWeights;
import io.readtwice.model.ReleasedShapes;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * {@code readtwice bench}: prefill and decode speed of a model on the CPU, next to the GEMM rate and memory
 * bandwidth measured in the same run (before the model is built), one result per (prompt length, batch).
 */
@Command(name = "bench",
        description = "Measure prefill and decode speed against the machine's GEMM and memory ceilings (--backend gpu: "
                + "also the GEMMs alone against the dense bf16 tensor-core peak).",
        sortOptions = false,
        usageHelpAutoWidth = true)
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @ArgGroup(exclusive = true, multiplicity = "1")
    ModelSource source;

    static final class ModelSource {
        @Option(names = "--shape", paramLabel = "SHAPE", required = true,
                description = "Random weights of a released shape: jrt-360m, jrt-1b, based-360m, based-1b "
                        + "(built in memory, no download).")
        String shape;

        @Option(names = "--model", paramLabel = "DIR", required = true, description = "A checkpoint folder.")
        Path model;
    }

    @Option(names = "--backend", paramLabel = "B", defaultValue = "cpu",
            description = "cpu, gpu (bf16 weights resident on the GPU, tensor-core GEMMs) or auto (default: cpu).")
    String backendName;

    @Option(names = "--prompt-tokens", paramLabel = "T", split = ",",
            description = "Prompt length; repeatable or comma-separated (default: 1024).")
    List<Integer> promptTokens = List.of(1024);

    @Option(names = "--new-tokens", paramLabel = "N", defaultValue = "32",
            description = "Tokens generated per prompt; N−1 recurrent steps are timed (default: ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(names = "--batch", paramLabel = "B", split = ",",
            description = "Prompts per batch; repeatable or comma-separated (default: 1).")
    List<Integer> batches = List.of(1);

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--weights", paramLabel = "TYPE", defaultValue = "fp32",
            description = "Weight storage: fp32, bf16 or fp16, widened to float32 to compute "
                    + "(default: ${DEFAULT-VALUE}).")
    String weights;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1", description = "Untimed runs (default: 1).")
    int warmup;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "3",
            description = "Timed runs of each configuration, taken in rounds that run every configuration once; "
                    + "the median is reported (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--profile",
            description = "Also report milliseconds per backend operation (linear, mixers, norms…): where time goes.")
    boolean profile;

    @Option(names = "--json", description = "One JSON object per configuration, one per line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        WeightPrecision precision;
        try {
            precision = WeightPrecision.parse(weights);
        } catch (IllegalArgumentException e) {
            throw usage("--weights: " + e.getMessage());
        }
        if (newTokens < 1 || repeats < 1 || warmup < 0) {
            throw usage("--new-tokens and --repeats must be at least 1, --warmup at least 0");
        }
        int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (workers < 1) {
            throw usage("--threads must be at least 1");
        }
        for (int t : promptTokens) {
            for (int b : batches) {
                if (t < 1 || b < 1) {
                    throw usage("--prompt-tokens and --batch must be at least 1");
                }
            }
        }
        ModelConfig config;
        ModelWeights modelWeights;
        String label;
        if (source.shape != null) {
            ReleasedShapes shape = parseShape(source.shape);
            config = shape.config();
            modelWeights = RandomWeights.create(config, 1234);
            label = shape.label();
        } else {
            ModelCheckpoint checkpoint = CheckpointLoader.load(source.model, WeightsFormat.AUTO, precision);
            config = checkpoint.config();
            modelWeights = checkpoint.weights();
            label = source.model.toString();
        }
        long weightBytes = ModelBench.weightBytes(modelWeights, precision);
        String resolved;
        try {
            resolved = ModelHolder.resolve(backendName.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        boolean gpu = ModelHolder.GPU.equals(resolved);
        // GPU: the GEMMs alone against the tensor-core peak, before GpuBackend takes 90 % of the free device memory.
        Map<Integer, GemmBenchmark.Result> gemms = new TreeMap<>();
        if (gpu) {
            for (int t : promptTokens) {
                for (int b : batches) {
                    gemms.computeIfAbsent(GemmBenchmark.rows(t, b), rows -> GemmBenchmark.run(rows,
                            GemmBenchmark.modelShapes(config.dModel(), config.mlpHidden()), 5));
                }
            }
            // on stderr at once: a run cut short by a time limit still has it
            PrintWriter err = spec.commandLine().getErr();
            for (GemmBenchmark.Result g : gemms.values()) {
                err.printf(Locale.ROOT, "%s GEMMs alone (%s, %d rows, %s): %.1f TFLOP/s = %.1f%% of the %.0f TFLOP/s "
                                + "dense bf16 tensor-core peak; per shape %s%n", label, g.device(), g.rows(),
                        g.kernel(), g.tflops(), 100 * g.peakFraction(), g.peakTflops(), g.tflopsByShape());
            }
            err.flush();
        }
        ModelBench bench;
        DeviceLanguageModel resident = null;
        if (gpu && ModelHolder.engine(resolved) == ModelHolder.Engine.GPU_RESIDENT) {
            // The device-resident model (what `run --backend gpu` uses): its prefill set against the GEMMs alone,
            // no host bandwidth ceiling (the weights are in device memory).
            Map<Integer, Double> gemmGflops = new TreeMap<>();
            for (int t : promptTokens) {
                for (int b : batches) {
                    gemmGflops.put(Ceilings.gemmRows(t, b), gemms.get(GemmBenchmark.rows(t, b)).tflops() * 1e3);
                }
            }
            resident = DeviceLanguageModel.load(config, modelWeights);
            bench = new ModelBench(resident, "gpu resident (" + resident.deviceName() + ")", weightBytes, workers,
                    new Ceilings(gemmGflops, Double.NaN));
        } else {
            Backend engine = gpu ? new GpuBackend(workers) : new CpuBackend(workers);
            Backend backend = profile ? new TimedBackend(engine) : engine;
            // The ceilings first: the heap their buffers took then holds the weights rather than adding to the peak.
            Set<Integer> gemmRows = new TreeSet<>();
            for (int t : promptTokens) {
                for (int b : batches) {
                    gemmRows.add(Ceilings.gemmRows(t, b));
                }
            }
            Ceilings ceilings = Ceilings.measure(backend, config, gemmRows, workers);
            // The matrices are generated or read from the file straight into their storage precision.
            LanguageModel model = new LanguageModel(config, modelWeights, backend, precision);
            bench = new ModelBench(model, weightBytes, workers, ceilings);
        }
        try {
            report(bench, label, gemms);
        } finally {
            if (resident != null) {
                resident.close();
            }
        }
        return 0;
    }

    /** Runs the configurations in interleaved rounds and prints one result each (text or JSON). */
    private void report(ModelBench bench, String label, Map<Integer, GemmBenchmark.Result> gemms)
            throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper mapper = new ObjectMapper();
        List<int[]> configurations = new ArrayList<>();
        for (int t : promptTokens) {
            for (int b : batches) {
                configurations.add(new int[] {t, b});
            }
        }
        for (Map<String, Object> result : bench.runInterleaved(configurations, newTokens, warmup, repeats)) {
            result.put("model", label);
            GemmBenchmark.Result g = gemms.get(GemmBenchmark.rows((int) result.get("prompt_tokens"),
                    (int) result.get("batch")));
            if (g != null) {
                result.put("gemm_rows", g.rows());
                result.put("gemm_kernel", g.kernel());
                result.put("gemm_tflops", g.tflops());
                result.put("gemm_tflops_by_shape", g.tflopsByShape());
                result.put("tensor_core_peak_tflops", finite(g.peakTflops()));
                result.put("gemm_peak_fraction", finite(g.peakFraction()));
            }
            if (json) {
                // JSON has no NaN: a ceiling that was not measured (no host bandwidth on the GPU) is null.
                result.replaceAll((key, value) -> value instanceof Double d && !Double.isFinite(d) ? null : value);
                out.println(mapper.writeValueAsString(result));
            } else {
                out.printf("%s T=%d B=%d: prefill %.1f tok/s (%.1f GFLOP/s = %.0f%% of GEMM %.1f), "
                                + "decode %.1f tok/s (%.1f ms/step, %.0f%% of the %.1f GB/s bound), peak RSS %.0f MB%n",
                        label, result.get("prompt_tokens"), result.get("batch"), result.get("prefill_tokens_per_s"),
                        result.get("gflops_per_s"), 100 * (double) result.get("prefill_fraction_of_gemm"),
                        result.get("gemm_ceiling_gflops_per_s"), result.get("decode_tokens_per_s"),
                        result.get("decode_ms_per_step"), 100 * (double) result.get("decode_fraction_of_bandwidth"),
                        result.get("memory_bandwidth_gb_per_s"), result.get("peak_rss_mb"));
                if (g != null) {
                    out.printf(Locale.ROOT, "  GEMMs alone (%s, %d rows): %.1f TFLOP/s = %.1f%% of the %.0f "
                            + "TFLOP/s dense bf16 tensor-core peak%n", g.kernel(), g.rows(), g.tflops(),
                            100 * g.peakFraction(), g.peakTflops());
                }
                if (result.containsKey("profile_ms")) {
                    out.println("  ms per operation: " + result.get("profile_ms"));
                }
            }
            out.flush();
        }
    }

    /** JSON has no NaN: an unknown peak is written as null. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private ReleasedShapes parseShape(String value) {
        try {
            return ReleasedShapes.parse(value);
        } catch (IllegalArgumentException e) {
            throw usage("--shape: " + e.getMessage());
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
