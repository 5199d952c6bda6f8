package io.readtwice.model.gpu;

import io.readtwice.model.CausalLm;

/**
 * One sequence of a {@link DeviceBatch}: its recurrent state is row {@code slot} of the batch's state buffers on the
 * device; the host keeps only where it is and how far it has read.
 */
public final class DeviceSequence implements CausalLm.Sequence {
    private final DeviceBatch batch;
    private int slot;
    private int position;
    /** Left out of a step of its batch: its slot may since hold another sequence's state. */
    private boolean retired;

    DeviceSequence(DeviceBatch batch, int slot) {
        this.batch = batch;
        this.slot = slot;
    }

    @Override
    public int position() {
        return position;
    }

    DeviceBatch batch() {
        return batch;
    }

    int slot() {
        return slot;
    }

    void moveTo(int slot) {
        this.slot = slot;
    }

    void advance(int tokens) {
        position += tokens;
    }

    boolean retired() {
        return retired;
    }

    void retire() {
        retired = true;
    }
}
