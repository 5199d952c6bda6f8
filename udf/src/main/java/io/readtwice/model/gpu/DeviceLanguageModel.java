package io.readtwice.model.gpu;

import io.readtwice.kernels.DeviceOutOfMemory;
import io.readtwice.kernels.MatrixSource;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.kernels.gpu.DeviceBuffer;
import io.readtwice.kernels.gpu.DeviceGraph;
import io.readtwice.kernels.gpu.DeviceMemory;
import io.readtwice.kernels.gpu.ElementType;
import io.readtwice.kernels.gpu.GemmEpilogue;
import io.readtwice.kernels.gpu.GpuDevice;
import io.readtwice.kernels.gpu.PackedSequences;
import io.readtwice.model.BasedDecode;
import io.readtwice.model.CausalLm;
import io.readtwice.model.ModelConfig;
import io.readtwice.model.ModelWeights;
import io.readtwice.model.gpu.ActivationPlan.Activations;
import io.readtwice.model.gpu.DeviceBatch.ConvState;
import io.readtwice.model.gpu.DeviceBatch.TaylorState;
import io.readtwice.model.gpu.DeviceBatch.WindowState;
import io.readtwice.model.gpu.ResidentWeights.Conv;
import io.readtwice.model.gpu.ResidentWeights.Layer;
import io.readtwice.model.gpu.ResidentWeights.Taylor;
import io.readtwice.model.gpu.ResidentWeights.Window;

import java.util.Collections;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The JRT-RNN / Based forward pass of model-spec §2 with everything on the GPU: weights (bf16, uploaded once),
 * activations and every sequence's recurrent state stay in device memory between operations; the host sends tokens
 * and receives logits. Same results contract as {@link io.readtwice.model.LanguageModel} (the CPU engine it is
 * tested against), so {@code Generator} and {@code Answerer} run either.
 *
 * <p>Per layer (T rows; mixers in float32, GEMM inputs bf16, the residual stream float32 as in the CPU engine):
 * <pre>
 *   a = RMSNorm(res)·norm1                 rms_norm_residual → bf16
 *   res += out_proj(mixer(in_proj(a)))     GEMMs (f32 out) → mixer kernel → bf16 → GEMM with ACCUMULATE (+ bias)
 *   b = RMSNorm(res)·norm2
 *   res += fc2(u ⊙ silu(g)), (u, g) = fc1·b  GEMM with the SWIGLU epilogue (bf16 out) → GEMM with ACCUMULATE
 * </pre>
 * then RMSNorm(res)·ln_f and the tied lm_head GEMM. res starts as the embedding rows (embed).
 *
 * <p>Prefill reads prompts in {@link PrefillChunk}s (at most as many tokens as the activation memory holds, the JRT
 * prefix in the first), each chunk starting from the state the previous one left, so a long prompt needs one chunk's
 * activations, not the whole prompt's. A decode step runs in the batch's fixed buffers and, from the second step of
 * a batch size on, as a replayed CUDA graph ({@link StepGraphs}; {@code -Dreadtwice.gpu.graphs=false} turns that off).
 *
 * <p>Memory: one block for the weights plus prefill scratch (a share of what is free after the weights), and one
 * block per prefilled batch (its states and decode buffers) until {@link #release}: the sequences of one prefill are
 * stepped together, in prefill order, and released together. Calls are serialised; batches of several threads
 * interleave call by call.
 */
public final class DeviceLanguageModel implements CausalLm<DeviceSequence>, AutoCloseable {
    /** System property: the most tokens one prefill chunk reads (fewer when the activation memory holds fewer). */
    static final String CHUNK_PROPERTY = "readtwice.gpu.prefillChunkTokens";
    static final int DEFAULT_CHUNK_TOKENS = 8192;
    /** Share of the device's free memory this model takes (the rest: CUDA's own use, other processes). */
    static final double MEMORY_FRACTION = Double.parseDouble(System.getProperty("readtwice.gpu.memoryFraction",
            "0.9"));
    /** Of the memory left after the weights, at most this share for prefill activations; batches get the rest. */
    static final double ACTIVATION_SHARE = 0.5;
    /** Sequences the prefill scratch is planned for (per-sequence buffers and last-position logits). */
    static final int PLANNED_SEQUENCES = 256;
    private static final Set<GemmEpilogue> PLAIN = EnumSet.noneOf(GemmEpilogue.class);
    private static final Set<GemmEpilogue> ACCUMULATE = EnumSet.of(GemmEpilogue.ACCUMULATE);
    private static final Set<GemmEpilogue> SWIGLU = EnumSet.of(GemmEpilogue.SWIGLU, GemmEpilogue.OUT_BF16);

    private final ModelConfig config;
    private final GpuDevice device;
    private final boolean ownsDevice;
    private final DeviceMemory memory;
    private final ResidentWeights weights;
    private final int maxChunkTokens;
    private final boolean useGraphs;
    private final int d;
    private final int vocab;
    /** Batches prefilled and not yet released, closed with the model. */
    private final Set<DeviceBatch> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    /** Opens the GPU and uploads the weights (check {@link io.readtwice.kernels.gpu.GpuProbe#available()} first). */
    public static DeviceLanguageModel load(ModelConfig config, ModelWeights weights) {
        GpuDevice device = GpuDevice.open();
        try {
            return new DeviceLanguageModel(config, weights, device, true, StepGraphs.enabledByDefault(),
                    Integer.getInteger(CHUNK_PROPERTY, DEFAULT_CHUNK_TOKENS));
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /**
     * @param ownsDevice     close {@code device} with the model
     * @param useGraphs      replay decode steps as CUDA graphs
     * @param maxChunkTokens the most tokens of one prefill chunk
     */
    DeviceLanguageModel(ModelConfig config, ModelWeights weights, GpuDevice device, boolean ownsDevice,
                        boolean useGraphs, int maxChunkTokens) {
        ResidentWeights.checkGemmShapes(config);
        if (maxChunkTokens < 1) {
            throw new IllegalArgumentException(CHUNK_PROPERTY + " must be at least 1, got " + maxChunkTokens);
        }
        this.config = config;
        this.device = device;
        this.ownsDevice = ownsDevice;
        this.useGraphs = useGraphs;
        this.maxChunkTokens = maxChunkTokens;
        this.d = config.dModel();
        this.vocab = config.paddedVocab();
        ResidentWeights.ByteCounter counter = new ResidentWeights.ByteCounter();
        ResidentWeights.upload(config, weights, counter);
        long usable = (long) (device.freeBytes() * MEMORY_FRACTION);
        long left = usable - counter.bytes();
        if (left <= 0) {
            throw new DeviceOutOfMemory("the weights of a " + config.nLayer() + "-layer model", counter.bytes(),
                    usable);
        }
        // prefill scratch: a full chunk for a large batch, not more (the rest is for the batches' states)
        long chunkBytes = new ActivationPlan(config, maxChunkTokens, PLANNED_SEQUENCES, PLANNED_SEQUENCES).bytes();
        this.memory = device.allocate(counter.bytes() + Math.min((long) (left * ACTIVATION_SHARE), chunkBytes));
        try {
            this.weights = ResidentWeights.upload(config, weights, new Uploader());
        } catch (RuntimeException e) {
            memory.close();
            throw GpuDevice.translate("weight upload", e);
        }
    }

    /** Uploads each weight into the model's block as it comes: one matrix at a time in host memory. */
    private final class Uploader implements ResidentWeights.Store {
        @Override
        public DeviceBuffer matrix(MatrixSource source, int rows, int cols, boolean swiGlu) {
            ResidentWeights.checkShape(source, rows, cols);
            float[] values = swiGlu ? ResidentWeights.swiGluRows(source, rows / 2, cols) : source.toArray();
            DeviceBuffer b = memory.resident(ElementType.BF16, (long) rows * cols, "weight " + rows + "×" + cols);
            device.upload(values, b);
            return b;
        }

        @Override
        public DeviceBuffer vector(float[] values) {
            DeviceBuffer b = memory.resident(ElementType.F32, Math.max(1, values.length), "vector");
            device.upload(values, b);
            return b;
        }
    }

    /** The GPU this model runs on, as the driver names it (for summaries and benchmarks). */
    public String deviceName() {
        return device.name();
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    /** bf16: the tensor cores read bf16 weights. */
    @Override
    public WeightPrecision precision() {
        return WeightPrecision.BF16;
    }

    /**
     * No bound from activations: prefill reads in chunks. A batch whose states (or JRT prefixes, which share the
     * first chunk) do not fit throws DeviceOutOfMemory, and the answer engine splits it.
     */
    @Override
    public int tokenLimit() {
        return Integer.MAX_VALUE;
    }

    /** The result of a prefill: one device-resident state per sequence, and the logits. */
    public record DevicePrefill(List<DeviceSequence> states, float[] logits) implements Prefill<DeviceSequence> {
    }

    @Override
    public synchronized DevicePrefill prefill(List<int[]> sequences, int[] maskedKeys, boolean allPositions) {
        checkOpen();
        int batchSize = sequences.size();
        if (batchSize == 0) {
            throw new IllegalArgumentException("prefill of no sequences");
        }
        int totalRows = 0;
        for (int[] s : sequences) {
            checkTokens(s);
            totalRows += s.length;
        }
        int encLength = config.isJrt() ? config.linearAttention().encLength() : 0;
        List<PrefillChunk> chunks = PrefillChunk.plan(sequences, prefixMask(sequences, maskedKeys), encLength,
                chunkTokens(sequences, allPositions, encLength));
        DeviceBatch batch;
        try {
            batch = DeviceBatch.allocate(device, config, weights, batchSize, useGraphs);
        } catch (RuntimeException e) {
            throw GpuDevice.translate("the states of " + batchSize + " sequences", e);
        }
        try {
            float[] logits = new float[(allPositions ? totalRows : batchSize) * vocab];
            for (PrefillChunk chunk : chunks) {
                readChunk(chunk, batch, allPositions, logits);
            }
            for (int s = 0; s < batchSize; s++) {
                batch.sequences().get(s).advance(sequences.get(s).length);
            }
            live.add(batch);
            return new DevicePrefill(batch.sequences(), logits);
        } catch (RuntimeException e) {
            batch.close();
            throw GpuDevice.translate("prefill of " + totalRows + " tokens", e);
        }
    }

    /**
     * Tokens per chunk: what the activation memory holds for this batch, at most {@link #CHUNK_PROPERTY}; the JRT
     * prefixes of all sequences must fit one chunk (they are read together, model-spec §4.2).
     */
    private int chunkTokens(List<int[]> sequences, boolean allPositions, int encLength) {
        int fit = Math.min(maxChunkTokens, ActivationPlan.rowsThatFit(config, sequences.size(), allPositions,
                memory.scratchCapacity()));
        long prefixes = 0;
        for (int[] s : sequences) {
            prefixes += Math.min(encLength, s.length);
        }
        if (fit < 1 || prefixes > fit) {
            throw new DeviceOutOfMemory("a prefill chunk for the JRT prefixes of " + sequences.size() + " sequences ("
                    + prefixes + " tokens; " + fit + " fit)", prefixes, fit);
        }
        return fit;
    }

    /**
     * The masked key positions prefix linear attention applies (model-spec §4.3): only with use_mask, for a prompt
     * of more than one token that is no longer than the encoder (the CPU engine's PrefixLinearAttention rule).
     */
    private int[] prefixMask(List<int[]> sequences, int[] maskedKeys) {
        int[] masked = new int[sequences.size()];
        if (maskedKeys == null || !config.isJrt() || !config.linearAttention().useMask()) {
            return masked;
        }
        int encLength = config.linearAttention().encLength();
        for (int s = 0; s < masked.length; s++) {
            int length = sequences.get(s).length;
            masked[s] = length > 1 && length <= encLength ? maskedKeys[s] : 0;
        }
        return masked;
    }

    /** One chunk through every layer, carrying the batch's states; its logits go into the rows they belong to. */
    private void readChunk(PrefillChunk chunk, DeviceBatch batch, boolean allPositions, float[] logits) {
        int rows = chunk.rows();
        int sequences = chunk.sequences();
        int lastCount = 0;
        for (int r : chunk.lastRows()) {
            lastCount += r >= 0 ? 1 : 0;
        }
        ActivationPlan plan = new ActivationPlan(config, rows, sequences, allPositions ? rows : sequences);
        Activations a = plan.allocate(memory, false);
        PackedSequences packed = null;
        PackedSequences encoder = null;
        try {
            packed = device.sequences(chunk.seqStart());
            encoder = chunk.encStart() == null ? null : device.sequences(chunk.encStart());
            device.upload(chunk.tokens(), a.tokens());
            device.upload(chunk.startPositions(), a.positions());
            device.upload(chunk.maskedKeys(), a.maskedKeys());
            Pass pass = new Pass(a, rows, sequences, batch, packed, encoder, chunk, null);
            layers(pass);
            if (allPositions) {
                lmHead(a.normed(), rows, a.logits());
                float[] out = new float[rows * vocab];
                device.download(a.logits(), out);
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(out, r * vocab, logits, chunk.packedRows()[r] * vocab, vocab);
                }
            } else if (lastCount > 0) {
                int[] owner = new int[lastCount];
                int k = 0;
                for (int s = 0; s < sequences; s++) {
                    int r = chunk.lastRows()[s];
                    if (r >= 0) {
                        device.copy(a.normed().slice((long) r * d, d), a.lastNormed().slice((long) k * d, d), d);
                        owner[k++] = s;
                    }
                }
                lmHead(a.lastNormed(), lastCount, a.logits());
                float[] out = new float[lastCount * vocab];
                device.download(a.logits(), out);
                for (int i = 0; i < lastCount; i++) {
                    System.arraycopy(out, i * vocab, logits, owner[i] * vocab, vocab);
                }
            }
        } finally {
            try {
                device.synchronize();    // nothing may still read what is freed below
            } finally {
                if (packed != null) {
                    packed.close();
                }
                if (encoder != null) {
                    encoder.close();
                }
                memory.releaseScratch();
            }
        }
    }

    @Override
    public synchronized float[] step(List<DeviceSequence> states, int[] tokens, BasedDecode basedDecode) {
        checkOpen();
        int n = tokens.length;
        if (n == 0 || states.size() != n) {
            throw new IllegalArgumentException("a step needs one token per sequence, got " + n + " tokens for "
                    + states.size() + " sequences");
        }
        checkTokens(tokens);
        DeviceBatch batch = states.get(0).batch();
        int[] positions = new int[n];
        for (int s = 0; s < n; s++) {
            positions[s] = states.get(s).position();
        }
        try {
            batch.gather(device, states);
            Activations a = batch.decode();
            device.upload(tokens, a.tokens());
            device.upload(positions, a.positions());
            Pass pass = new Pass(a, n, n, batch, null, null, null, basedDecode);
            batch.graphs().run(new StepGraphs.Key(n, basedDecode), new StepGraphs.Device<>() {
                @Override
                public void enqueue() {
                    decodeStep(pass);
                }

                @Override
                public DeviceGraph capture() {
                    return device.capture(() -> decodeStep(pass));
                }

                @Override
                public void replay(DeviceGraph graph) {
                    graph.launch();
                }
            });
            float[] logits = new float[n * vocab];
            device.download(a.logits(), logits);
            for (DeviceSequence s : states) {
                s.advance(1);
            }
            return logits;
        } catch (RuntimeException e) {
            throw GpuDevice.translate("decode step of " + n + " sequences", e);
        }
    }

    /** Releases the whole prefill batch of each state named (its device memory and graphs). */
    @Override
    public synchronized void release(List<DeviceSequence> states) {
        for (DeviceSequence s : states) {
            DeviceBatch batch = s.batch();
            if (live.remove(batch)) {
                batch.close();
            }
        }
    }

    /**
     * What one pass over the layers works on: {@code rows} packed tokens whose activations are {@code a}; a prefill
     * chunk ({@code chunk} and the packed ranges set) or a decode step of {@code rows} sequences ({@code chunk} null).
     */
    private record Pass(Activations a, int rows, int sequences, DeviceBatch batch, PackedSequences packed,
                        PackedSequences encoder, PrefillChunk chunk, BasedDecode basedDecode) {
        boolean prefill() {
            return chunk != null;
        }
    }

    private void decodeStep(Pass p) {
        layers(p);
        lmHead(p.a().normed(), p.rows(), p.a().logits());
    }

    /** Embedding, the blocks of spec §2 and ln_f: leaves the final normalised rows in {@code a.normed}. */
    private void layers(Pass p) {
        Activations a = p.a();
        int rows = p.rows();
        float eps = config.normEps();
        device.elementwise().embed(weights.embedding(), vocab, d, a.tokens(), rows, a.residual());  // res = wte[x]
        for (int l = 0; l < weights.layers().size(); l++) {
            Layer layer = weights.layers().get(l);
            device.elementwise().rmsNormResidual(a.residual(), null, layer.norm1(), a.normed(), rows, d, eps);
            mixer(p, l, layer.mixer());                                         // res += mixer(norm1(res))
            device.elementwise().rmsNormResidual(a.residual(), null, layer.norm2(), a.normed(), rows, d, eps);
            int hidden = config.mlpHidden();
            device.gemm(a.normed(), layer.fc1(), null, a.gated(), rows, 2 * hidden, d, SWIGLU);  // u ⊙ silu(g)
            device.gemm(a.gated(), layer.fc2(), null, a.residual(), rows, d, hidden, ACCUMULATE); // res += fc2(·)
        }
        device.elementwise().rmsNormResidual(a.residual(), null, weights.lnF(), a.normed(), rows, d, eps);
    }

    /** Tied lm_head: logits [rows, Vp] = x · wteᵀ. */
    private void lmHead(DeviceBuffer x, int rows, DeviceBuffer logits) {
        device.gemm(x, weights.embedding(), null, logits, rows, vocab, d, PLAIN);
    }

    /** A layer's mixer on {@code a.normed}, its out_proj accumulated into the residual. */
    private void mixer(Pass p, int layer, ResidentWeights.Mixer mixer) {
        if (mixer instanceof Taylor t) {
            taylor(p, t, (TaylorState) p.batch().state(layer));
        } else if (mixer instanceof Window w) {
            window(p, w, (WindowState) p.batch().state(layer));
        } else {
            conv(p, (Conv) mixer, (ConvState) p.batch().state(layer));
        }
    }

    /** Prefix linear attention (spec §4) or Based linear attention (§10): q, k, v (+ encoder), kernel, out_proj. */
    private void taylor(Pass p, Taylor t, TaylorState state) {
        Activations a = p.a();
        int rows = p.rows();
        int keyWidth = t.dims().heads() * t.dims().featureDim();
        int valueWidth = t.dims().heads() * t.dims().headDim();
        DeviceBuffer q = a.projected().slice(0, (long) rows * keyWidth);
        DeviceBuffer k = a.projected().slice((long) rows * keyWidth, (long) rows * keyWidth);
        DeviceBuffer v = a.projected().slice(2L * rows * keyWidth, (long) rows * valueWidth);
        device.gemm(a.normed(), t.q(), null, q, rows, keyWidth, d, PLAIN);
        device.gemm(a.normed(), t.k(), null, k, rows, keyWidth, d, PLAIN);
        device.gemm(a.normed(), t.v(), null, v, rows, valueWidth, d, PLAIN);
        if (p.prefill()) {
            boolean encoder = t.prefix() && p.encoder() != null;
            if (encoder) {
                encoderProjections(p, t, keyWidth, valueWidth);
            }
            device.linearAttention().prefill(t.dims(), q, k, v, encoder ? a.encoderKeys() : null,
                    encoder ? a.encoderValues() : null, p.packed(), encoder ? p.encoder() : null,
                    t.prefix() ? a.maskedKeys() : null, state.state(), a.mixed(), true);
        } else {
            // Based's reference harness adds each generated key twice (§10.4); PLA decodes plainly (§4.5)
            float kvWeight = !t.prefix() && p.basedDecode() == BasedDecode.REFERENCE ? 2f : 1f;
            device.linearAttention().step(t.dims(), q, k, v, rows, kvWeight, state.state(), a.mixed());
        }
        outProjection(a, rows, valueWidth, t.out(), null);
    }

    /** k_enc, v_enc of each sequence's first min(M, T) rows (§4.2): one GEMM when they are all the chunk's rows. */
    private void encoderProjections(Pass p, Taylor t, int keyWidth, int valueWidth) {
        Activations a = p.a();
        PrefillChunk chunk = p.chunk();
        int encRows = chunk.encoderRows();
        if (encRows == p.rows()) {
            device.gemm(a.normed(), t.kEnc(), null, a.encoderKeys(), encRows, keyWidth, d, PLAIN);
            device.gemm(a.normed(), t.vEnc(), null, a.encoderValues(), encRows, valueWidth, d, PLAIN);
            return;
        }
        for (int s = 0; s < chunk.sequences(); s++) {
            int from = chunk.encStart()[s];
            int n = chunk.encStart()[s + 1] - from;
            if (n == 0) {
                continue;
            }
            DeviceBuffer x = a.normed().slice((long) chunk.seqStart()[s] * d, (long) n * d);
            device.gemm(x, t.kEnc(), null, a.encoderKeys().slice((long) from * keyWidth, (long) n * keyWidth), n,
                    keyWidth, d, PLAIN);
            device.gemm(x, t.vEnc(), null, a.encoderValues().slice((long) from * valueWidth,
                    (long) n * valueWidth), n, valueWidth, d, PLAIN);
        }
    }

    /** Sliding-window attention (spec §5): Wqkv, rotary window softmax, out_proj. */
    private void window(Pass p, Window w, WindowState state) {
        Activations a = p.a();
        int rows = p.rows();
        DeviceBuffer qkv = a.projected();
        device.gemm(a.normed(), w.wqkv(), null, qkv, rows, 3 * d, d, PLAIN);
        if (p.prefill()) {
            long ring = (long) p.sequences() * w.dims().cacheSize();
            DeviceBuffer previousKeys = a.carried().slice(0, ring);
            DeviceBuffer previousValues = a.carried().slice(ring, ring);
            device.copy(state.keys(), previousKeys, ring);       // the rings as the previous chunk left them
            device.copy(state.values(), previousValues, ring);
            device.slidingWindow().prefill(w.dims(), qkv, p.packed(), a.positions(), previousKeys, previousValues,
                    state.keys(), state.values(), a.mixed());
        } else {
            device.slidingWindow().step(w.dims(), qkv, a.positions(), rows, state.keys(), state.values(), a.mixed());
        }
        outProjection(a, rows, d, w.out(), null);
    }

    /** BaseConv (spec §3): in_proj + bias, gated causal conv, out_proj + bias. */
    private void conv(Pass p, Conv c, ConvState state) {
        Activations a = p.a();
        int rows = p.rows();
        int channels = c.channels();
        DeviceBuffer z = a.projected();
        device.gemm(a.normed(), c.in(), c.inBias(), z, rows, 2 * channels, d, PLAIN);
        if (p.prefill()) {
            long tails = (long) p.sequences() * c.taps() * channels;
            DeviceBuffer previous = a.carried().slice(0, tails);
            device.copy(state.tail(), previous, tails);             // the tails as the previous chunk left them
            device.baseConv().prefill(z, p.packed(), channels, c.conv(), c.taps(), previous, state.tail(), a.mixed());
        } else {
            device.baseConv().step(z, rows, channels, c.conv(), c.taps(), state.tail(), a.mixed());
        }
        outProjection(a, rows, channels, c.out(), c.outBias());
    }

    /** res += bf16(mixed) · outᵀ (+ bias): the mixer's residual add fused into its out_proj GEMM. */
    private void outProjection(Activations a, int rows, int width, DeviceBuffer out, DeviceBuffer bias) {
        device.toBf16(a.mixed(), a.mixedBf16(), (long) rows * width);
        device.gemm(a.mixedBf16(), out, bias, a.residual(), rows, d, width, ACCUMULATE);
    }

    private void checkTokens(int[] tokens) {
        for (int t : tokens) {
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException("token id " + t + " is outside the model's vocabulary [0, " + vocab
                        + ")");
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the device model is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (DeviceBatch b : live) {
                b.close();
            }
            live.clear();
            memory.close();
        } finally {
            if (ownsDevice) {
                device.close();
            }
        }
    }
}
