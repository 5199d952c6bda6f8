package io.readtwice.kernels.gpu;

import java.util.ArrayList;
import java.util.List;

/**
 * How a long prefill is cut into chunks that carry the recurrent state from one to the next, so that device memory
 * holds one chunk's activations instead of the whole prompt's (gpu-notes §3.4: at B = 16, N = 32K one bf16
 * activation is 1 GB and the MLP intermediate 4 GB). All sequences of a batch advance together, so every chunk is
 * still one wide GEMM over many rows.
 *
 * <p>The JRT prefix is non-causal: every decoder token reads the encoder state over the first P tokens (model-spec
 * §4.4), so each sequence's first {@code min(P, length)} tokens must be in the first chunk. The remaining budget of a
 * chunk is shared evenly by the sequences still reading, in multiples of {@value #ALIGN} tokens where the share allows
 * (the chunked linear-attention kernel walks 64-token tiles); a sequence that needs less than its share leaves the rest
 * to the others.
 *
 * @param chunks in execution order; every token of every sequence is in exactly one slice, in order
 */
public record PrefillChunkPlan(List<Chunk> chunks) {
    /** Shares of at least this many tokens are rounded down to a multiple of it. */
    public static final int ALIGN = 64;

    /** Tokens {@code [from, to)} of one sequence. */
    public record Slice(int sequence, int from, int to) {
        public int tokens() {
            return to - from;
        }
    }

    /** One pass over the layers: the slices of the sequences that read in it. */
    public record Chunk(List<Slice> slices) {
        public int tokens() {
            int n = 0;
            for (Slice s : slices) {
                n += s.tokens();
            }
            return n;
        }
    }

    public PrefillChunkPlan {
        chunks = List.copyOf(chunks);
    }

    /**
     * @param lengths     tokens of each sequence
     * @param prefix      P, tokens at the start of each sequence that must be read in the first chunk (0: none)
     * @param chunkTokens most tokens of all sequences together in one chunk
     * @throws IllegalArgumentException when the prefixes alone exceed {@code chunkTokens}: the batch must be split
     */
    public static PrefillChunkPlan of(int[] lengths, int prefix, int chunkTokens) {
        if (chunkTokens < 1) {
            throw new IllegalArgumentException("chunk tokens must be at least 1, got " + chunkTokens);
        }
        if (prefix < 0) {
            throw new IllegalArgumentException("prefix must not be negative, got " + prefix);
        }
        int[] pos = new int[lengths.length];
        long prefixes = 0;
        for (int s = 0; s < lengths.length; s++) {
            if (lengths[s] < 0) {
                throw new IllegalArgumentException("sequence " + s + " has negative length " + lengths[s]);
            }
            prefixes += Math.min(prefix, lengths[s]);
        }
        if (prefixes > chunkTokens) {
            throw new IllegalArgumentException("the prefixes of " + lengths.length + " sequences take " + prefixes
                    + " tokens, more than a chunk of " + chunkTokens + ": split the batch");
        }
        List<Chunk> chunks = new ArrayList<>();
        boolean first = true;
        while (true) {
            List<Integer> active = new ArrayList<>();
            long reserved = 0;
            for (int s = 0; s < lengths.length; s++) {
                if (pos[s] < lengths[s]) {
                    active.add(s);
                    reserved += first ? Math.min(prefix, lengths[s]) : 0;
                }
            }
            if (active.isEmpty()) {
                return new PrefillChunkPlan(chunks);
            }
            // water-filling: the shortest needs are met first, their unused share goes to the longer ones
            boolean inFirst = first;
            active.sort((a, b) -> Integer.compare(lengths[a] - start(a, pos, prefix, lengths, inFirst),
                    lengths[b] - start(b, pos, prefix, lengths, inFirst)));
            long spare = chunkTokens - reserved;
            int[] end = new int[lengths.length];
            for (int i = 0; i < active.size(); i++) {
                int s = active.get(i);
                int from = start(s, pos, prefix, lengths, first);
                int left = active.size() - i;
                long share = spare / left;
                if (share >= ALIGN) {
                    share -= share % ALIGN;
                } else if (spare % left > 0) {
                    share++;            // fewer tokens than sequences: the first few get one each
                }
                long take = Math.min(lengths[s] - from, share);
                end[s] = (int) (from + take);
                spare -= take;
            }
            List<Slice> slices = new ArrayList<>(active.size());
            for (int s = 0; s < lengths.length; s++) {
                if (end[s] > pos[s]) {
                    slices.add(new Slice(s, pos[s], end[s]));
                    pos[s] = end[s];
                }
            }
            chunks.add(new Chunk(slices));
            first = false;
        }
    }

    /** Where a sequence's share of a chunk starts: after its prefix in the first chunk, else where it stands. */
    private static int start(int s, int[] pos, int prefix, int[] lengths, boolean first) {
        return first ? Math.min(prefix, lengths[s]) : pos[s];
    }

    /** Tokens in the largest chunk: what the activation buffers must hold. */
    public int maxChunkTokens() {
        int max = 0;
        for (Chunk c : chunks) {
            max = Math.max(max, c.tokens());
        }
        return max;
    }
}
