package io.readtwice.model.gpu;

import io.readtwice.kernels.gpu.PrefillChunkPlan;

import java.util.ArrayList;
import java.util.List;

/**
 * One pass of a chunked prefill over the layers, laid out as the mixer kernels take it. Every sequence of the batch is
 * in every chunk, most with zero rows: the kernels index recurrent state by sequence, so a sequence that does not read
 * in this chunk simply keeps its state. Rows are packed in sequence order ({@code seqStart}).
 *
 * @param tokens         the chunk's tokens, packed, [T]
 * @param seqStart       B + 1 row offsets into the chunk
 * @param startPositions per sequence, the position of its first row here (tokens it read in earlier chunks)
 * @param encStart       B + 1 offsets of each sequence's encoder rows (JRT prefix, model-spec §4.2: the first
 *                       min(M, length) tokens, all in the first chunk); null in chunks without encoder rows
 * @param maskedKeys     per sequence, masked key positions counted from its first row here (§4.3)
 * @param packedRows     for each chunk row, its row in the whole batch's packing (prompt after prompt)
 * @param lastRows       per sequence, the chunk row of its final prompt token, or -1 when that is in another chunk
 */
record PrefillChunk(int[] tokens, int[] seqStart, int[] startPositions, int[] encStart, int[] maskedKeys,
                    int[] packedRows, int[] lastRows) {

    int rows() {
        return tokens.length;
    }

    int sequences() {
        return startPositions.length;
    }

    /** Encoder rows of all sequences together (0 without an encoder in this chunk). */
    int encoderRows() {
        return encStart == null ? 0 : encStart[encStart.length - 1];
    }

    /**
     * Cuts a batch into chunks of at most {@code chunkTokens} tokens with {@link PrefillChunkPlan}.
     *
     * @param sequences   the prompts as fed (padding included), none empty
     * @param maskedKeys  per sequence, the masked key positions PLA prefill would use for the whole prompt (already
     *                    0 where the mask does not apply, §4.3); null: none
     * @param encLength   M, the JRT prefix read in the first chunk; 0 for models without an encoder
     * @throws IllegalArgumentException when the prefixes alone exceed a chunk (the batch must be split)
     */
    static List<PrefillChunk> plan(List<int[]> sequences, int[] maskedKeys, int encLength, int chunkTokens) {
        int batch = sequences.size();
        int[] lengths = new int[batch];
        int[] packedStart = new int[batch + 1];
        for (int s = 0; s < batch; s++) {
            lengths[s] = sequences.get(s).length;
            if (lengths[s] == 0) {
                throw new IllegalArgumentException("sequence " + s + " is empty: a prompt needs at least one token");
            }
            packedStart[s + 1] = packedStart[s] + lengths[s];
        }
        PrefillChunkPlan plan = PrefillChunkPlan.of(lengths, encLength, chunkTokens);
        List<PrefillChunk> chunks = new ArrayList<>(plan.chunks().size());
        int[] position = new int[batch];
        boolean first = true;
        for (PrefillChunkPlan.Chunk c : plan.chunks()) {
            int[] from = new int[batch];
            int[] to = new int[batch];
            for (int s = 0; s < batch; s++) {
                from[s] = position[s];
                to[s] = position[s];
            }
            for (PrefillChunkPlan.Slice slice : c.slices()) {
                if (slice.from() != position[slice.sequence()]) {
                    throw new IllegalStateException("chunk plan skips tokens of sequence " + slice.sequence());
                }
                to[slice.sequence()] = slice.to();
            }
            int rows = c.tokens();
            int[] tokens = new int[rows];
            int[] seqStart = new int[batch + 1];
            int[] packedRows = new int[rows];
            int[] lastRows = new int[batch];
            int[] masked = new int[batch];
            int[] encStart = encLength > 0 && first ? new int[batch + 1] : null;
            for (int s = 0; s < batch; s++) {
                int n = to[s] - from[s];
                seqStart[s + 1] = seqStart[s] + n;
                System.arraycopy(sequences.get(s), from[s], tokens, seqStart[s], n);
                for (int i = 0; i < n; i++) {
                    packedRows[seqStart[s] + i] = packedStart[s] + from[s] + i;
                }
                lastRows[s] = n > 0 && to[s] == lengths[s] ? seqStart[s + 1] - 1 : -1;
                masked[s] = maskedKeys == null ? 0 : Math.max(0, Math.min(n, maskedKeys[s] - from[s]));
                if (encStart != null) {
                    int enc = Math.min(encLength, lengths[s]);
                    if (from[s] != 0 || n < enc) {
                        throw new IllegalStateException("the first chunk lacks the prefix of sequence " + s);
                    }
                    encStart[s + 1] = encStart[s] + enc;
                }
                position[s] = to[s];
            }
            chunks.add(new PrefillChunk(tokens, seqStart, from, encStart, masked, packedRows, lastRows));
            first = false;
        }
        return chunks;
    }
}
