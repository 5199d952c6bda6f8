package io.readtwice.model.gpu;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which sequences of a prefilled batch a decode step may name (the bookkeeping, without device memory). */
class DeviceBatchTest {
    @Test
    void aStepNamesASubsequenceOfThePrefillOrder() {
        DeviceBatch batch = new DeviceBatch(null, List.of(), null, false, 4);
        List<DeviceSequence> s = batch.sequences();
        assertEquals(List.of(0, 1, 2, 3), batch.slotMoves(s));
        assertEquals(List.of(1, 3), batch.slotMoves(List.of(s.get(1), s.get(3))), "rows 1 and 3 move to 0 and 1");
        IllegalArgumentException reordered = assertThrows(IllegalArgumentException.class,
                () -> batch.slotMoves(List.of(s.get(2), s.get(0))));
        assertTrue(reordered.getMessage().contains("prefill order"), reordered.getMessage());
        assertThrows(IllegalArgumentException.class, () -> batch.slotMoves(List.of(s.get(1), s.get(1))));
    }

    @Test
    void sequencesOfAnotherBatchOrLeftOutEarlierAreRefused() {
        DeviceBatch one = new DeviceBatch(null, List.of(), null, false, 2);
        DeviceBatch other = new DeviceBatch(null, List.of(), null, false, 2);
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
                () -> one.slotMoves(List.of(one.sequences().get(0), other.sequences().get(1))));
        assertTrue(mixed.getMessage().contains("different prefill calls"), mixed.getMessage());
        one.sequences().get(0).retire();
        IllegalArgumentException retired = assertThrows(IllegalArgumentException.class,
                () -> one.slotMoves(List.of(one.sequences().get(0))));
        assertTrue(retired.getMessage().contains("left out"), retired.getMessage());
    }

    @Test
    void gatheringTheFrontRowsNeedsNoCopyAndRetiresTheRest() {
        DeviceBatch batch = new DeviceBatch(null, List.of(), null, false, 3);
        List<DeviceSequence> s = batch.sequences();
        batch.gather(null, List.of(s.get(0), s.get(1)));   // already in slots 0, 1: no device work
        assertTrue(s.get(2).retired());
        assertEquals(0, s.get(0).slot());
        assertEquals(1, s.get(1).slot());
        batch.close();
        assertThrows(IllegalStateException.class, () -> batch.gather(null, List.of(s.get(0))));
    }
}
