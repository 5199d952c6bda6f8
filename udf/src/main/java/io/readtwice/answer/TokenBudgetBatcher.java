package io.readtwice.answer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Packs work into micro-batches by a token budget instead of a row count: items are sorted by cost (shortest
 * first, so sequences of similar length run together and leave the batch at similar times), then cut into runs
 * whose summed cost stays within the budget. An item costlier than the whole budget gets a batch of its own.
 */
public final class TokenBudgetBatcher {
    private TokenBudgetBatcher() {
    }

    /**
     * @param items  the work, in any order
     * @param cost   tokens an item takes in a batch (prompt plus generated tokens)
     * @param budget the most tokens one batch may hold, at least 1
     * @return batches in increasing cost order; every item appears exactly once
     */
    public static <T> List<List<T>> pack(List<T> items, ToIntFunction<T> cost, int budget) {
        if (budget < 1) {
            throw new IllegalArgumentException("token budget must be at least 1, got " + budget);
        }
        List<T> sorted = new ArrayList<>(items);
        sorted.sort(Comparator.comparingInt(cost));
        List<List<T>> batches = new ArrayList<>();
        List<T> current = new ArrayList<>();
        long used = 0;
        for (T item : sorted) {
            int c = Math.max(1, cost.applyAsInt(item));
            if (!current.isEmpty() && used + c > budget) {
                batches.add(current);
                current = new ArrayList<>();
                used = 0;
            }
            current.add(item);
            used += c;
        }
        if (!current.isEmpty()) {
            batches.add(current);
        }
        return batches;
    }
}
