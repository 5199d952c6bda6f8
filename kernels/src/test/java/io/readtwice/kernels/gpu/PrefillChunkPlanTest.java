package io.readtwice.kernels.gpu;

import io.readtwice.kernels.gpu.PrefillChunkPlan.Chunk;
import io.readtwice.kernels.gpu.PrefillChunkPlan.Slice;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrefillChunkPlanTest {

    @Test
    void equalLongSequencesAdvanceTogetherInAlignedSharesAfterTheWholePrefix() {
        // B = 4, N = 4096, P = 1024, 8192 tokens per chunk: prefix + 1024 each, then 2048 each
        PrefillChunkPlan plan = PrefillChunkPlan.of(new int[] {4096, 4096, 4096, 4096}, 1024, 8192);
        assertEquals(2, plan.chunks().size());
        assertEquals(List.of(new Slice(0, 0, 2048), new Slice(1, 0, 2048), new Slice(2, 0, 2048),
                new Slice(3, 0, 2048)), plan.chunks().get(0).slices());
        assertEquals(new Slice(2, 2048, 4096), plan.chunks().get(1).slices().get(2));
        assertEquals(8192, plan.maxChunkTokens());

        // 3 × 5000 tokens in chunks of 4096: shares of 1344, rounded down to 64 for the tiled kernels
        PrefillChunkPlan odd = PrefillChunkPlan.of(new int[] {5000, 5000, 5000}, 0, 4096);
        assertEquals(new Slice(1, 0, 1344), odd.chunks().get(0).slices().get(1));
    }

    @Test
    void aBatchThatFitsIsOneChunkEvenWhenSequencesDifferInLength() {
        PrefillChunkPlan plan = PrefillChunkPlan.of(new int[] {300, 10, 2000}, 1024, 4096);
        assertEquals(1, plan.chunks().size());
        assertEquals(2310, plan.chunks().get(0).tokens());
    }

    @Test
    void finishedSequencesLeaveTheirShareToTheOthers() {
        PrefillChunkPlan plan = PrefillChunkPlan.of(new int[] {64, 1000}, 0, 256);
        // chunk 1: the short one takes its 64, the long one the other 192; then 256 each time
        assertEquals(List.of(new Slice(0, 0, 64), new Slice(1, 0, 192)), plan.chunks().get(0).slices());
        assertEquals(List.of(new Slice(1, 192, 448)), plan.chunks().get(1).slices());
    }

    @Test
    void prefixesThatDoNotFitAskForASplitBatch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrefillChunkPlan.of(new int[] {2048, 2048, 2048}, 1024, 3000));
        assertTrue(e.getMessage().contains("split the batch"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PrefillChunkPlan.of(new int[] {10}, 0, 0));
    }

    @Test
    void everyTokenIsReadOnceInOrderWithinTheBudgetAndPrefixesFirst() {
        Random random = new Random(7);
        for (int trial = 0; trial < 500; trial++) {
            int batch = 1 + random.nextInt(20);
            int[] lengths = new int[batch];
            for (int s = 0; s < batch; s++) {
                lengths[s] = random.nextInt(5) == 0 ? random.nextInt(3) : random.nextInt(5000);
            }
            int prefix = random.nextBoolean() ? 0 : random.nextInt(200);
            long prefixes = 0;
            for (int n : lengths) {
                prefixes += Math.min(prefix, n);
            }
            int budget = (int) Math.max(1, prefixes + random.nextInt(3000));
            PrefillChunkPlan plan = PrefillChunkPlan.of(lengths, prefix, budget);
            int[] next = new int[batch];
            for (int c = 0; c < plan.chunks().size(); c++) {
                Chunk chunk = plan.chunks().get(c);
                assertTrue(chunk.tokens() <= budget && chunk.tokens() > 0, "chunk " + c + " within the budget");
                for (Slice s : chunk.slices()) {
                    assertEquals(next[s.sequence()], s.from(), "slices continue where the last one ended");
                    assertTrue(s.to() > s.from());
                    if (c == 0) {
                        assertTrue(s.to() >= Math.min(prefix, lengths[s.sequence()]), "whole prefix first");
                    }
                    next[s.sequence()] = s.to();
                }
            }
            for (int s = 0; s < batch; s++) {
                assertEquals(lengths[s], next[s], "sequence " + s + " read to the end");
            }
        }
    }
}
