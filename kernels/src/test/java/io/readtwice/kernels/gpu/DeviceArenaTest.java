package io.readtwice.kernels.gpu;

import io.readtwice.kernels.DeviceOutOfMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The arena's bookkeeping against a fake device allocator that only hands out numbers. */
class DeviceArenaTest {
    private static final long BASE = 0x7f00_0000_0000L;

    /** Records what the arena asks of the device. */
    private static final class FakeDevice implements DeviceArena.Allocator {
        final List<Long> allocated = new ArrayList<>();
        final List<Long> freed = new ArrayList<>();
        long next = BASE;

        @Override
        public long allocate(long bytes) {
            allocated.add(bytes);
            long address = next;
            next += bytes;
            return address;
        }

        @Override
        public void free(long address) {
            freed.add(address);
        }
    }

    @Test
    void oneDeviceAllocationCarvedIntoAlignedWeightsThenScratch() {
        FakeDevice device = new FakeDevice();
        try (DeviceArena arena = new DeviceArena(device, 1 << 20)) {
            long w1 = arena.resident(1000, "w1");
            long w2 = arena.resident(256, "w2");
            long s1 = arena.scratch(1, "s1");
            long s2 = arena.scratch(300, "s2");
            assertEquals(List.of(1L << 20), device.allocated, "one allocation for everything");
            assertEquals(BASE, w1);
            assertEquals(BASE + 1024, w2, "1000 bytes take 1024 to keep the next buffer aligned");
            assertEquals(BASE + 1280, s1);
            assertEquals(BASE + 1536, s2);
            assertEquals(1280, arena.residentBytes());
            assertEquals((1 << 20) - 1280 - 256 - 512, arena.freeBytes());
            for (long a : new long[] {w1, w2, s1, s2}) {
                assertEquals(0, a % DeviceArena.ALIGNMENT);
            }
        }
        assertEquals(List.of(BASE), device.freed, "closing gives the block back once");
    }

    @Test
    void releasingScratchKeepsTheWeightsAndReusesTheSameAddresses() {
        try (DeviceArena arena = new DeviceArena(new FakeDevice(), 1 << 16)) {
            long w = arena.resident(4096, "weights");
            long first = arena.scratch(8192, "x");
            arena.scratch(8192, "y");
            arena.releaseScratch();
            assertEquals(first, arena.scratch(100, "x again"), "scratch restarts right after the weights");
            assertEquals(BASE, w);
            assertEquals(4096 + 16384, arena.peakBytes());
            assertEquals((1 << 16) - 4096, arena.scratchCapacity());
        }
    }

    @Test
    void anAllocationThatDoesNotFitThrowsDeviceOutOfMemoryAndLeavesTheArenaUsable() {
        try (DeviceArena arena = new DeviceArena(new FakeDevice(), 4096)) {
            arena.resident(1024, "weights");
            arena.scratch(2048, "x");
            DeviceOutOfMemory e = assertThrows(DeviceOutOfMemory.class, () -> arena.scratch(2000, "mlp.z"));
            assertEquals(2000, e.requestedBytes());
            assertEquals(1024, e.availableBytes());
            assertTrue(e.getMessage().contains("mlp.z"), e.getMessage());
            arena.releaseScratch();
            arena.scratch(3072, "after the split");
        }
    }

    @Test
    void weightsCannotBeAddedWhileScratchIsHeld() {
        try (DeviceArena arena = new DeviceArena(new FakeDevice(), 4096)) {
            arena.scratch(256, "x");
            assertThrows(IllegalStateException.class, () -> arena.resident(256, "late weight"));
            arena.releaseScratch();
            arena.resident(256, "weight");
        }
    }

    @Test
    void aClosedArenaRefusesWorkAndAMisalignedBlockIsRejected() {
        DeviceArena arena = new DeviceArena(new FakeDevice(), 4096);
        arena.close();
        arena.close();
        assertThrows(IllegalStateException.class, () -> arena.scratch(1, "x"));

        FakeDevice odd = new FakeDevice();
        odd.next = BASE + 8;
        assertThrows(IllegalStateException.class, () -> new DeviceArena(odd, 4096));
        assertEquals(List.of(BASE + 8), odd.freed, "the misaligned block is given back");
    }
}
