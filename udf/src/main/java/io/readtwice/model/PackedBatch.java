package io.readtwice.model;

import java.util.List;

/**
 * Several sequences' tokens packed one after another for one prefill call: sequence s owns rows
 * seqStart[s] .. seqStart[s+1]-1 of every activation, so projections are one GEMM for the whole batch.
 *
 * @param tokens     all tokens, concatenated
 * @param seqStart   B + 1 row offsets
 * @param maskedKeys per sequence, leading positions that PLA prefill masks as keys (model-spec §4.3)
 */
record PackedBatch(int[] tokens, int[] seqStart, int[] maskedKeys) {

    static PackedBatch of(List<int[]> sequences, int[] maskedKeys) {
        int[] seqStart = new int[sequences.size() + 1];
        for (int s = 0; s < sequences.size(); s++) {
            if (sequences.get(s).length == 0) {
                throw new IllegalArgumentException("sequence " + s + " is empty: a prompt needs at least one token");
            }
            seqStart[s + 1] = seqStart[s] + sequences.get(s).length;
        }
        int[] tokens = new int[seqStart[sequences.size()]];
        for (int s = 0; s < sequences.size(); s++) {
            System.arraycopy(sequences.get(s), 0, tokens, seqStart[s], sequences.get(s).length);
        }
        return new PackedBatch(tokens, seqStart, maskedKeys == null ? new int[sequences.size()] : maskedKeys);
    }

    int sequences() {
        return seqStart.length - 1;
    }

    int rows() {
        return tokens.length;
    }

    int length(int s) {
        return seqStart[s + 1] - seqStart[s];
    }
}
