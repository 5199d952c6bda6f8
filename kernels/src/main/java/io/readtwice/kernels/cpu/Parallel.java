package io.readtwice.kernels.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/** One parallel loop for every kernel: {@code body(i)} for i in [0, n) on the backend's pool. */
public final class Parallel {
    private final ForkJoinPool pool;

    public Parallel(int threads) {
        this.pool = threads <= 1 ? null : new ForkJoinPool(threads);
    }

    public int threads() {
        return pool == null ? 1 : pool.getParallelism();
    }

    public void forEach(int n, IntConsumer body) {
        if (pool == null || n <= 1) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
            return;
        }
        pool.invoke(new Range(0, n, body));
    }

    private static final class Range extends RecursiveAction {
        private final int from;
        private final int to;
        private final IntConsumer body;

        Range(int from, int to, IntConsumer body) {
            this.from = from;
            this.to = to;
            this.body = body;
        }

        @Override
        protected void compute() {
            if (to - from == 1) {
                body.accept(from);
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Range(from, mid, body), new Range(mid, to, body));
        }
    }
}
