package io.readtwice.model.gpu;

import io.readtwice.kernels.gpu.DeviceArena;
import io.readtwice.kernels.gpu.DeviceBuffer;
import io.readtwice.kernels.gpu.DeviceGraph;
import io.readtwice.kernels.gpu.DeviceMemory;
import io.readtwice.kernels.gpu.ElementType;
import io.readtwice.kernels.gpu.GpuDevice;
import io.readtwice.model.ModelConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The device memory of one prefilled batch, from its prefill until it is released: every layer's recurrent state for
 * its B sequences ([B, ·] per layer, row = a sequence's slot), the fixed buffers its decode steps run in, and the
 * CUDA graphs captured on them. One allocation per batch, so that batches of concurrent task threads never share
 * state and a finished batch gives everything back at once.
 *
 * <p>Sequences stop at different steps: a step names the sequences still running, which must keep their prefill
 * order. Their state rows are then moved to the front (slots 0..n-1, a copy on the device only when a sequence
 * before them has stopped), so that the step kernels and graphs see n consecutive rows; the ones left out are retired.
 */
final class DeviceBatch implements AutoCloseable {
    /** A layer's state buffers, each [B, per-sequence size] float32. */
    sealed interface LayerState permits TaylorState, WindowState, ConvState {
        List<DeviceBuffer> buffers();
    }

    /** Linear attention: S with z as the last column, [B, H, D, hd+1]. */
    record TaylorState(DeviceBuffer state) implements LayerState {
        public List<DeviceBuffer> buffers() {
            return List.of(state);
        }
    }

    /** Sliding window: ring caches of rotated keys and of values, [B, L, H·hd] each. */
    record WindowState(DeviceBuffer keys, DeviceBuffer values) implements LayerState {
        public List<DeviceBuffer> buffers() {
            return List.of(keys, values);
        }
    }

    /** BaseConv: the last K pre-conv inputs, [B, K, C]. */
    record ConvState(DeviceBuffer tail) implements LayerState {
        public List<DeviceBuffer> buffers() {
            return List.of(tail);
        }
    }

    private final DeviceMemory memory;
    private final List<LayerState> states;
    private final ActivationPlan.Activations decode;
    private final StepGraphs<DeviceGraph> graphs;
    private final List<DeviceSequence> sequences;
    private boolean closed;

    /** A batch over {@code memory} (allocate() makes one; without memory: only the sequences' bookkeeping). */
    DeviceBatch(DeviceMemory memory, List<LayerState> states, ActivationPlan.Activations decode, boolean useGraphs,
                int size) {
        this.memory = memory;
        this.states = states;
        this.decode = decode;
        this.graphs = new StepGraphs<>(useGraphs);
        List<DeviceSequence> list = new ArrayList<>(size);
        for (int s = 0; s < size; s++) {
            list.add(new DeviceSequence(this, s));
        }
        this.sequences = Collections.unmodifiableList(list);
    }

    /** Per sequence, the float32 elements of each state buffer of each layer, in layer order. */
    static List<long[]> stateSizes(ResidentWeights weights) {
        List<long[]> sizes = new ArrayList<>();
        for (ResidentWeights.Layer layer : weights.layers()) {
            if (layer.mixer() instanceof ResidentWeights.Taylor t) {
                sizes.add(new long[] {t.dims().stateSize()});
            } else if (layer.mixer() instanceof ResidentWeights.Window w) {
                sizes.add(new long[] {w.dims().cacheSize(), w.dims().cacheSize()});
            } else {
                ResidentWeights.Conv c = (ResidentWeights.Conv) layer.mixer();
                sizes.add(new long[] {(long) c.taps() * c.channels()});
            }
        }
        return sizes;
    }

    /** Bytes of a batch of {@code size} sequences: states plus the decode plan. */
    static long bytes(ModelConfig config, List<long[]> stateSizes, int size) {
        long total = new ActivationPlan(config, size, size, size).bytes();
        for (long[] layer : stateSizes) {
            for (long perSequence : layer) {
                total += DeviceArena.align(4L * size * perSequence);
            }
        }
        return total;
    }

    /** A batch of {@code size} sequences with zeroed state. Throws DeviceOutOfMemory when it does not fit. */
    static DeviceBatch allocate(GpuDevice device, ModelConfig config, ResidentWeights weights, int size,
                                boolean useGraphs) {
        List<long[]> sizes = stateSizes(weights);
        DeviceMemory memory = device.allocate(bytes(config, sizes, size));
        try {
            List<LayerState> states = new ArrayList<>(sizes.size());
            for (int l = 0; l < sizes.size(); l++) {
                ResidentWeights.Mixer mixer = weights.layers().get(l).mixer();
                long[] per = sizes.get(l);
                List<DeviceBuffer> b = new ArrayList<>(per.length);
                for (long n : per) {
                    DeviceBuffer buffer = memory.resident(ElementType.F32, (long) size * n, "layer " + l + " state");
                    device.zero(buffer);
                    b.add(buffer);
                }
                states.add(mixer instanceof ResidentWeights.Taylor ? new TaylorState(b.get(0))
                        : mixer instanceof ResidentWeights.Window ? new WindowState(b.get(0), b.get(1))
                        : new ConvState(b.get(0)));
            }
            ActivationPlan.Activations decode = new ActivationPlan(config, size, size, size).allocate(memory, true);
            return new DeviceBatch(memory, List.copyOf(states), decode, useGraphs, size);
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    List<DeviceSequence> sequences() {
        return sequences;
    }

    LayerState state(int layer) {
        return states.get(layer);
    }

    ActivationPlan.Activations decode() {
        return decode;
    }

    StepGraphs<DeviceGraph> graphs() {
        return graphs;
    }

    boolean closed() {
        return closed;
    }

    /**
     * Checks that {@code stepping} are live sequences of this batch in prefill order, moves their state rows to slots
     * 0..n-1 and retires the batch's other sequences.
     */
    void gather(GpuDevice device, List<DeviceSequence> stepping) {
        if (closed) {
            throw new IllegalStateException("step on a released batch");
        }
        List<Integer> moves = slotMoves(stepping);
        for (int i = 0; i < stepping.size(); i++) {
            int from = moves.get(i);
            if (from != i) {
                for (LayerState layer : states) {
                    for (DeviceBuffer b : layer.buffers()) {
                        long per = b.elements() / sequences.size();
                        device.copy(b.slice(from * per, per), b.slice(i * per, per), per);
                    }
                }
                stepping.get(i).moveTo(i);
            }
        }
        for (DeviceSequence s : sequences) {
            if (!stepping.contains(s)) {
                s.retire();
            }
        }
    }

    /**
     * The slot each stepping sequence's state is in now, checked: same batch, not retired, strictly increasing slots
     * (a subsequence of the prefill order, so moving rows to the front in order never overwrites one still to move).
     */
    List<Integer> slotMoves(List<DeviceSequence> stepping) {
        List<Integer> from = new ArrayList<>(stepping.size());
        int previous = -1;
        for (DeviceSequence s : stepping) {
            if (s.batch() != this) {
                throw new IllegalArgumentException("a decode step mixes sequences of different prefill calls; the "
                        + "device model steps the sequences of one prefill together");
            }
            if (s.retired()) {
                throw new IllegalArgumentException("sequence was left out of an earlier step of its batch; its "
                        + "device state has been given to the sequences still running");
            }
            if (s.slot() <= previous) {
                throw new IllegalArgumentException("a decode step's sequences must keep their prefill order");
            }
            previous = s.slot();
            from.add(s.slot());
        }
        return from;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                graphs.close();
            } finally {
                if (memory != null) {
                    memory.close();
                }
            }
        }
    }
}
