package io.readtwice.generate;

import io.readtwice.generate.Generation.TokenLogprob;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/** Greedy choice and log-probabilities over one row of logits (all Vp entries, as the reference does). */
final class LogitsRow {
    private final float[] logits;
    private final int offset;
    private final int vocab;
    private final double logSumExp;

    LogitsRow(float[] logits, int row, int vocab) {
        this.logits = logits;
        this.offset = row * vocab;
        this.vocab = vocab;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - (double) max);
        }
        this.logSumExp = max + Math.log(sum);
    }

    /** The first id with the largest logit (torch.argmax's tie rule). */
    int argmax() {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > logits[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    float logprob(int id) {
        return (float) (logits[offset + id] - logSumExp);
    }

    /** The k most likely ids, best first. */
    List<TokenLogprob> top(int k) {
        PriorityQueue<Integer> heap = new PriorityQueue<>(k + 1,
                (a, b) -> a.equals(b) ? 0 : compare(a, b));
        for (int i = 0; i < vocab; i++) {
            heap.add(i);
            if (heap.size() > k) {
                heap.poll();
            }
        }
        List<TokenLogprob> top = new ArrayList<>(heap.size());
        while (!heap.isEmpty()) {
            int id = heap.poll();
            top.add(0, new TokenLogprob(id, logprob(id)));
        }
        return top;
    }

    /** Orders worse first: lower logit, or on a tie the larger id. */
    private int compare(int a, int b) {
        int byLogit = Float.compare(logits[offset + a], logits[offset + b]);
        return byLogit != 0 ? byLogit : Integer.compare(b, a);
    }
}
