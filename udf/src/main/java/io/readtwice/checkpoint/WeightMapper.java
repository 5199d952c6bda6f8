package io.readtwice.checkpoint;

import io.readtwice.kernels.MatrixSource;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.model.MixerKind;
import io.readtwice.model.ModelConfig;
import io.readtwice.model.ModelWeights;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Turns the tensors of a weights file (model key names, model-spec §1.4 and §10.2) into {@link ModelWeights}:
 * vectors are read at once, matrices when the model stores them ({@link CheckpointMatrix}).
 * Every required tensor's presence, dtype and shape is checked against the config before the first float array
 * is allocated, so a wrong checkpoint fails in milliseconds with all its problems listed, not after gigabytes of
 * reading.
 */
final class WeightMapper {
    /** Tied to the embedding (§1.4): its shape is checked, its values are not used. */
    static final String LM_HEAD = "lm_head.weight";

    private final ModelConfig config;
    private final Map<String, StoredTensor> tensors;
    private final Path file;
    private final WeightPrecision precision;
    /** name → expected shape, in model order. */
    private final Map<String, long[]> expected = new LinkedHashMap<>();

    WeightMapper(ModelConfig config, Map<String, StoredTensor> tensors, Path file) {
        this(config, tensors, file, WeightPrecision.FP32);
    }

    /** {@code precision}: how the model will store the matrices, which decides the heap it needs. */
    WeightMapper(ModelConfig config, Map<String, StoredTensor> tensors, Path file, WeightPrecision precision) {
        this.precision = precision;
        this.config = config;
        this.tensors = tensors;
        this.file = file;
        declareShapes();
    }

    /** Checks every tensor, reads them all and returns the weights; unused tensors become one warning. */
    ModelWeights map(TensorReader reader, List<String> warnings) {
        validate();
        TreeSet<String> unused = new TreeSet<>(tensors.keySet());
        unused.removeAll(expected.keySet());
        unused.remove(LM_HEAD);
        if (!unused.isEmpty()) {
            warnings.add(file + ": " + unused.size() + " tensor(s) not used by the model: "
                    + String.join(", ", unused));
        }
        MatrixSource embedding = matrix(reader, "transformer.embeddings.word_embeddings.weight");
        float[] lnF = read(reader, "transformer.ln_f.weight");
        List<ModelWeights.LayerWeights> layers = new ArrayList<>(config.nLayer());
        for (int i = 0; i < config.nLayer(); i++) {
            String p = layerPrefix(i);
            layers.add(new ModelWeights.LayerWeights(
                    read(reader, p + "norm1.weight"),
                    read(reader, p + "norm2.weight"),
                    matrix(reader, p + "mlp.fc1.weight"),
                    matrix(reader, p + "mlp.fc2.weight"),
                    readMixer(reader, config.layers().get(i), p + "mixer.")));
        }
        return new ModelWeights(embedding, lnF, List.copyOf(layers));
    }

    private ModelWeights.MixerWeights readMixer(TensorReader reader, MixerKind kind, String m) {
        return switch (kind) {
            case BASE_CONV -> new ModelWeights.BaseConvWeights(
                    matrix(reader, m + "in_proj.weight"), read(reader, m + "in_proj.bias"),
                    read(reader, m + "conv.conv.weight"),
                    matrix(reader, m + "out_proj.weight"), read(reader, m + "out_proj.bias"));
            case PREFIX_LINEAR_ATTENTION -> new ModelWeights.PrefixLinearAttentionWeights(
                    matrix(reader, m + "proj_q.weight"), matrix(reader, m + "proj_k.weight"),
                    matrix(reader, m + "proj_k_enc.weight"), matrix(reader, m + "proj_v.weight"),
                    matrix(reader, m + "proj_v_enc.weight"), matrix(reader, m + "out_proj.weight"));
            case LINEAR_ATTENTION -> new ModelWeights.LinearAttentionWeights(
                    matrix(reader, m + "proj_q.weight"), matrix(reader, m + "proj_k.weight"),
                    matrix(reader, m + "proj_v.weight"), matrix(reader, m + "out_proj.weight"));
            case SLIDING_WINDOW_ATTENTION -> new ModelWeights.SlidingWindowWeights(
                    matrix(reader, m + "Wqkv.weight"), matrix(reader, m + "out_proj.weight"));
        };
    }

    /** The shape table of §1.4 / §10.2, in the config's dimensions. */
    private void declareShapes() {
        long d = config.dModel();
        long h = config.mlpHidden();
        expect("transformer.embeddings.word_embeddings.weight", config.paddedVocab(), d);
        for (int i = 0; i < config.nLayer(); i++) {
            String p = layerPrefix(i);
            expect(p + "norm1.weight", d);
            expect(p + "norm2.weight", d);
            expect(p + "mlp.fc1.weight", 2 * h, d); // SwiGLU: value half, then gate half
            expect(p + "mlp.fc2.weight", d, h);
            String m = p + "mixer.";
            switch (config.layers().get(i)) {
                case BASE_CONV -> {
                    ModelConfig.BaseConvConfig c = config.baseConv();
                    long channels = c.convChannels(config.dModel());
                    expect(m + "in_proj.weight", 2 * channels, d);
                    expect(m + "in_proj.bias", 2 * channels);
                    expect(m + "conv.conv.weight", channels, 1, c.kernelSize()); // depthwise
                    expect(m + "out_proj.weight", d, channels);
                    expect(m + "out_proj.bias", d);
                }
                case PREFIX_LINEAR_ATTENTION -> {
                    ModelConfig.LinearAttentionConfig c = config.linearAttention();
                    long hf = (long) c.numHeads() * c.featureDim();
                    long hv = (long) c.numHeads() * c.headDim();
                    expect(m + "proj_q.weight", hf, d);
                    expect(m + "proj_k.weight", hf, d);
                    expect(m + "proj_k_enc.weight", hf, d);
                    expect(m + "proj_v.weight", hv, d);
                    expect(m + "proj_v_enc.weight", hv, d);
                    expect(m + "out_proj.weight", d, hv);
                }
                case LINEAR_ATTENTION -> {
                    ModelConfig.LinearAttentionConfig c = config.linearAttention();
                    long hf = (long) c.numHeads() * c.featureDim();
                    long hv = (long) c.numHeads() * c.headDim();
                    expect(m + "proj_q.weight", hf, d);
                    expect(m + "proj_k.weight", hf, d);
                    expect(m + "proj_v.weight", hv, d);
                    expect(m + "out_proj.weight", d, hv);
                }
                case SLIDING_WINDOW_ATTENTION -> {
                    ModelConfig.SlidingWindowConfig c = config.slidingWindow();
                    long hv = (long) c.numHeads() * c.headDim();
                    expect(m + "Wqkv.weight", 3 * hv, d); // q rows, then k, then v
                    expect(m + "out_proj.weight", d, hv);
                }
            }
        }
        expect("transformer.ln_f.weight", d);
    }

    /** All problems at once, so a wrong conversion is diagnosed in one run. */
    private void validate() {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            check(e.getKey(), e.getValue(), problems, true);
        }
        check(LM_HEAD, new long[] {config.paddedVocab(), config.dModel()}, problems, false);
        if (!problems.isEmpty()) {
            throw new CheckpointException(file + ": " + String.join("; ", problems));
        }
        checkHeap(Runtime.getRuntime().maxMemory());
    }

    /**
     * The weights end up on the heap in the storage precision: refuse, before the first allocation, a model that
     * cannot fit, with the sizes to fix, instead of an OutOfMemoryError (which would kill a Spark executor). A
     * forged pytorch_model.bin can declare huge tensors over a tiny storage (stride 0); this stops it too.
     */
    void checkHeap(long maxHeapBytes) {
        long bytes = 0;
        try {
            for (long[] shape : expected.values()) {
                bytes = Math.addExact(bytes, Math.multiplyExact(StoredTensor.numel(shape), precision.bytes()));
            }
        } catch (ArithmeticException e) {
            bytes = Long.MAX_VALUE;
        }
        if (bytes > maxHeapBytes) {
            throw new CheckpointException(file + ": the model needs " + gib(bytes) + " of heap as "
                    + precision.label() + " weights, "
                    + "but the JVM may use at most " + gib(maxHeapBytes) + "; raise -Xmx (READTWICE_JAVA_OPTS, or "
                    + "spark.executor.memory and spark.driver.memory)");
        }
    }

    private static String gib(long bytes) {
        return bytes == Long.MAX_VALUE ? "more than 8 EiB"
                : String.format(java.util.Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }

    private void check(String name, long[] shape, List<String> problems, boolean required) {
        StoredTensor t = tensors.get(name);
        if (t == null) {
            if (required) {
                problems.add("tensor '" + name + "' is missing (expected shape " + StoredTensor.shapeString(shape)
                        + ")");
            }
            return;
        }
        if (!Arrays.equals(t.shape(), shape)) {
            problems.add("tensor '" + name + "' has shape " + StoredTensor.shapeString(t.shape()) + ", expected "
                    + StoredTensor.shapeString(shape));
        }
        if (!t.dtype().isFloatWeight()) {
            problems.add("tensor '" + name + "' has dtype " + t.dtype() + ", expected F32, F16 or BF16");
        }
    }

    private float[] read(TensorReader reader, String name) {
        if (!expected.containsKey(name)) {
            throw new IllegalStateException("reading undeclared tensor " + name);
        }
        return reader.readFloats(tensors.get(name));
    }

    /**
     * A 2-D weight read later, when the backend stores it, straight into its storage precision. Strided views
     * (possible in pytorch_model.bin) are read now: decoding them row block by row block would walk the whole
     * view each time.
     */
    private MatrixSource matrix(TensorReader reader, String name) {
        StoredTensor t = tensors.get(name);
        long[] shape = expected.get(name);
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        return t.isContiguous() ? new CheckpointMatrix(t, rows, cols)
                : MatrixSource.of(read(reader, name), rows, cols);
    }

    private void expect(String name, long... shape) {
        expected.put(name, shape);
    }

    private static String layerPrefix(int i) {
        return "transformer.layers." + i + ".";
    }
}
