package io.readtwice.answer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenBudgetBatcherTest {

    @Test
    void sortsByCostAndKeepsEachBatchWithinTheBudget() {
        List<Integer> costs = List.of(50, 10, 40, 30, 20, 60, 5);
        List<List<Integer>> batches = TokenBudgetBatcher.pack(costs, Integer::intValue, 70);
        List<Integer> flat = new ArrayList<>();
        batches.forEach(flat::addAll);
        assertEquals(List.of(5, 10, 20, 30, 40, 50, 60), flat, "every item once, shortest first");
        for (List<Integer> batch : batches) {
            assertTrue(batch.stream().mapToInt(Integer::intValue).sum() <= 70, batch.toString());
        }
        assertEquals(List.of(List.of(5, 10, 20, 30), List.of(40), List.of(50), List.of(60)), batches);
    }

    @Test
    void anItemOverTheBudgetGetsABatchOfItsOwn() {
        List<List<Integer>> batches = TokenBudgetBatcher.pack(List.of(3, 500, 4), Integer::intValue, 10);
        assertEquals(List.of(List.of(3, 4), List.of(500)), batches);
    }

    @Test
    void emptyInputAndBadBudget() {
        assertEquals(List.of(), TokenBudgetBatcher.pack(List.<Integer>of(), Integer::intValue, 10));
        assertThrows(IllegalArgumentException.class, () -> TokenBudgetBatcher.pack(List.of(1), Integer::intValue, 0));
    }
}
