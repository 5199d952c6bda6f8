package io.readtwice.answer;

import java.util.concurrent.atomic.LongAdder;

/**
 * Rows and tokens answered so far in this JVM, updated after every micro-batch. In a local run the driver and
 * the executor are one JVM, so the console progress reads these; on a cluster the job's accumulators are used.
 */
public final class LiveProgress {
    private static final LongAdder ROWS = new LongAdder();
    private static final LongAdder PROMPT_TOKENS = new LongAdder();
    private static final LongAdder GENERATED_TOKENS = new LongAdder();

    private LiveProgress() {
    }

    public static void add(long rows, long promptTokens, long generatedTokens) {
        ROWS.add(rows);
        PROMPT_TOKENS.add(promptTokens);
        GENERATED_TOKENS.add(generatedTokens);
    }

    public static long rows() {
        return ROWS.sum();
    }

    public static long tokens() {
        return PROMPT_TOKENS.sum() + GENERATED_TOKENS.sum();
    }

    public static void reset() {
        ROWS.reset();
        PROMPT_TOKENS.reset();
        GENERATED_TOKENS.reset();
    }
}
