package io.readtwice.model;

import io.readtwice.kernels.Backend;
import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.model.ModelWeights.BaseConvWeights;
import io.readtwice.model.ModelWeights.LayerWeights;
import io.readtwice.model.ModelWeights.LinearAttentionWeights;
import io.readtwice.model.ModelWeights.PrefixLinearAttentionWeights;
import io.readtwice.model.ModelWeights.SlidingWindowWeights;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The JRT-RNN / Based language model (model-spec §2): embedding, then per layer a prenorm mixer and a prenorm
 * SwiGLU MLP around a float32 residual stream, a final RMSNorm and the tied lm_head. Works on batches of
 * sequences of different lengths; each sequence's results equal running it alone (up to summation order).
 *
 * <p>Dimension letters: T tokens of a call (all sequences packed), B sequences, d = d_model, Vp padded vocabulary.
 */
public final class LanguageModel implements CausalLm<SequenceState> {
    private final ModelConfig config;
    private final Backend backend;
    private final WeightPrecision precision;
    private final int d;
    /** The word embeddings [Vp, d], also the tied lm_head. */
    private final Matrix embedding;
    private final float[] lnF;
    private final Layer[] layers;
    /** Scratch of finished calls, reused by the next ones instead of a prefill's worth of garbage per call. */
    private final Workspace.Pool workspaces = new Workspace.Pool();

    /** One prenorm block with its weights in the backend's storage. */
    private record Layer(float[] norm1, float[] norm2, Matrix fc1, Matrix fc2, Mixer mixer) {
    }

    /** A model with float32 weights. */
    public LanguageModel(ModelConfig config, ModelWeights weights, Backend backend) {
        this(config, weights, backend, WeightPrecision.FP32);
    }

    /**
     * A model whose weight matrices the backend stores in {@code precision}, read from the weights' sources one
     * matrix at a time. The model keeps only the backend's matrices and the small vectors: weights from a
     * checkpoint or {@link RandomWeights} exist once, in {@code precision}, never as a whole float32 copy.
     */
    public LanguageModel(ModelConfig config, ModelWeights weights, Backend backend, WeightPrecision precision) {
        this.config = config;
        this.backend = backend;
        this.precision = precision;
        this.d = config.dModel();
        this.embedding = StoredMatrix.of(backend, weights.embedding(), config.paddedVocab(), d, precision);
        this.lnF = weights.lnF();
        int hidden = config.mlpHidden();
        this.layers = new Layer[config.nLayer()];
        for (int i = 0; i < layers.length; i++) {
            LayerWeights lw = weights.layers().get(i);
            layers[i] = new Layer(lw.norm1(), lw.norm2(),
                    StoredMatrix.of(backend, lw.fc1(), 2 * hidden, d, precision),
                    StoredMatrix.of(backend, lw.fc2(), d, hidden, precision), mixer(lw.mixer()));
        }
    }

    private Mixer mixer(ModelWeights.MixerWeights w) {
        if (w instanceof BaseConvWeights conv) {
            return new BaseConv(backend, config, conv, precision);
        } else if (w instanceof PrefixLinearAttentionWeights pla) {
            return new PrefixLinearAttention(backend, config, pla, precision);
        } else if (w instanceof LinearAttentionWeights based) {
            return new LinearAttention(backend, config, based, precision);
        } else {
            return new SlidingWindowAttention(backend, config, (SlidingWindowWeights) w, precision);
        }
    }

    @Override
    public WeightPrecision precision() {
        return precision;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    public Backend backend() {
        return backend;
    }

    /**
     * The most tokens one prefill may pack so that its widest projection fits the memory the backend has for
     * activations: the micro-batch cap on a GPU, sized from the device memory left after the weights
     * ({@link Backend#maxLinearRows}); unbounded on the host. Widest input and output over every projection of
     * spec §2–§5, so the bound holds for each of them.
     */
    @Override
    public int tokenLimit() {
        int widestIn = Math.max(d, config.mlpHidden());
        int widestOut = Math.max(2 * config.mlpHidden(), 3 * d);
        if (config.baseConv() != null) {
            int channels = config.baseConv().convChannels(d);
            widestIn = Math.max(widestIn, channels);
            widestOut = Math.max(widestOut, 2 * channels);
        }
        return backend.maxLinearRows(widestIn, widestOut);
    }

    /**
     * Every weight matrix a decode step reads, each once (the embedding is the tied lm_head): what the bench streams
     * to measure the memory bandwidth decoding is bound by.
     */
    public List<Matrix> decodeMatrices() {
        List<Matrix> matrices = new ArrayList<>();
        matrices.add(embedding);
        for (Layer layer : layers) {
            matrices.addAll(layer.mixer().decodeMatrices());
            matrices.add(layer.fc1());
            matrices.add(layer.fc2());
        }
        return matrices;
    }

    /** Observes each layer's outputs during prefill (packed rows, [T, d]); for parity tests against traces. */
    public interface LayerObserver {
        void afterLayer(int layer, float[] mixerOut, float[] residual, float[] hidden);
    }

    /**
     * The result of a prefill.
     *
     * @param states one recurrent state per sequence, ready for {@link #step}
     * @param logits [B, Vp] logits at each sequence's last position, or [T, Vp] for every position
     *               when all positions were asked for
     */
    public record Prefill(List<SequenceState> states, float[] logits) implements CausalLm.Prefill<SequenceState> {
    }

    @Override
    public Prefill prefill(List<int[]> sequences, int[] maskedKeys, boolean allPositions) {
        return prefill(sequences, maskedKeys, allPositions, null);
    }

    /**
     * Reads whole prompts (model-spec §2).
     *
     * @param sequences    the tokens each sequence is fed (JRT padding already applied)
     * @param maskedKeys   per sequence, leading positions that are left pads to mask as PLA keys (§4.3); null: none
     * @param allPositions logits for every position instead of only the last of each sequence
     * @param observer     receives per-layer activations, or null
     */
    public Prefill prefill(List<int[]> sequences, int[] maskedKeys, boolean allPositions, LayerObserver observer) {
        PackedBatch batch = PackedBatch.of(sequences, maskedKeys);
        checkTokens(batch.tokens());
        List<SequenceState> states = newStates(batch.sequences());
        int rows = batch.rows();
        Workspace ws = workspaces.take();
        try {
            float[] residual = forward(batch.tokens(), rows, ws, (layer, a, out) ->
                    layers[layer].mixer().prefill(batch, a, layerStates(states, layer), ws, out), observer);
            for (int s = 0; s < states.size(); s++) {
                states.get(s).advance(batch.length(s));
            }
            if (allPositions) {
                return new Prefill(states, logits(residual, rows));
            }
            float[] last = new float[batch.sequences() * d];
            for (int s = 0; s < batch.sequences(); s++) {
                System.arraycopy(residual, (batch.seqStart()[s + 1] - 1) * d, last, s * d, d);
            }
            return new Prefill(states, logits(last, batch.sequences()));
        } finally {
            workspaces.give(ws);
        }
    }

    /**
     * One recurrent decode step: feeds {@code tokens[s]} to sequence {@code states.get(s)} and returns the next
     * logits, [B, Vp]. The states are updated in place.
     */
    @Override
    public float[] step(List<SequenceState> states, int[] tokens, BasedDecode basedDecode) {
        checkTokens(tokens);
        int batch = tokens.length;
        int[] positions = new int[batch];
        for (int s = 0; s < batch; s++) {
            positions[s] = states.get(s).position();
        }
        Workspace ws = workspaces.take();
        try {
            float[] residual = forward(tokens, batch, ws, (layer, a, out) ->
                    layers[layer].mixer().step(a, positions, layerStates(states, layer), basedDecode, ws, out),
                    null);
            for (SequenceState state : states) {
                state.advance(1);
            }
            return logits(residual, batch);
        } finally {
            workspaces.give(ws);
        }
    }

    /** What a layer's mixer does to normalised activations in this call (prefill or step). */
    private interface MixerCall {
        void run(int layer, float[] a, float[] out);
    }

    /** The block stack of spec §2; returns the normalised final hidden states (ln_f applied), [rows, d]. */
    private float[] forward(int[] tokens, int rows, Workspace ws, MixerCall mixerCall, LayerObserver observer) {
        int n = rows * d;
        float[] h = ws.get("h", n);
        backend.embed(embedding, tokens, h);
        float[] residual = ws.get("residual", n);
        Arrays.fill(residual, 0, n, 0f);
        float[] a = ws.get("a", n);
        float[] m = ws.get("m", n);
        float eps = config.normEps();
        for (int layer = 0; layer < layers.length; layer++) {
            Layer l = layers[layer];
            backend.addInPlace(residual, h, n);                     // res = h + res (res starts at 0)
            backend.rmsNorm(residual, rows, d, l.norm1(), eps, a);  // a = norm1(res)
            mixerCall.run(layer, a, m);                             // m = mixer(a)
            backend.addInPlace(residual, m, n);                     // res = m + res
            backend.rmsNorm(residual, rows, d, l.norm2(), eps, a);  // b = norm2(res)
            mlp(l, a, rows, ws, h);                                 // h = mlp(b)
            if (observer != null) {
                observer.afterLayer(layer, Arrays.copyOf(m, n), Arrays.copyOf(residual, n), Arrays.copyOf(h, n));
            }
        }
        backend.addInPlace(residual, h, n);                         // res = h + res
        backend.rmsNorm(residual, rows, d, lnF, eps, residual);
        return residual;
    }

    /** SwiGLU MLP: (u ⊙ silu(g))·fc2ᵀ with (u, g) = b·fc1ᵀ, value half first. */
    private void mlp(Layer l, float[] b, int rows, Workspace ws, float[] out) {
        int hidden = config.mlpHidden();
        float[] z = ws.get("mlp.z", rows * 2 * hidden);
        backend.linear(b, 0, rows, l.fc1(), null, z, 0);
        float[] gated = ws.get("mlp.gated", rows * hidden);
        backend.swiGlu(z, rows, hidden, gated);
        backend.linear(gated, 0, rows, l.fc2(), null, out, 0);
    }

    /** Tied lm_head over all Vp rows of the embedding. */
    private float[] logits(float[] hidden, int rows) {
        int vocab = config.paddedVocab();
        float[] logits = new float[rows * vocab];
        backend.linear(hidden, 0, rows, embedding, null, logits, 0);
        return logits;
    }

    private List<SequenceState> newStates(int count) {
        List<SequenceState> states = new ArrayList<>(count);
        for (int s = 0; s < count; s++) {
            MixerState[] perLayer = new MixerState[layers.length];
            for (int i = 0; i < layers.length; i++) {
                perLayer[i] = layers[i].mixer().newState();
            }
            states.add(new SequenceState(perLayer));
        }
        return states;
    }

    private static MixerState[] layerStates(List<SequenceState> states, int layer) {
        MixerState[] out = new MixerState[states.size()];
        for (int s = 0; s < out.length; s++) {
            out[s] = states.get(s).layer(layer);
        }
        return out;
    }

    private void checkTokens(int[] tokens) {
        for (int t : tokens) {
            if (t < 0 || t >= config.paddedVocab()) {
                throw new IllegalArgumentException("token id " + t + " is outside the model's vocabulary [0, "
                        + config.paddedVocab() + ")");
            }
        }
    }
}
