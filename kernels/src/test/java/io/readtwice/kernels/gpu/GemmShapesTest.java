package io.readtwice.kernels.gpu;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The host-side rules of the GEMM path: shape checks, epilogue bits, the SwiGLU row order, staging capacity. */
class GemmShapesTest {

    @Test
    void shapesTheKernelCannotRunAreRefusedBeforeLaunch() {
        GemmLauncher.checkShape(2048, 4096, 1024, Set.of());
        GemmLauncher.checkShape(1, 50264, 64, Set.of());
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                () -> GemmLauncher.checkShape(16, 64, 60, Set.of()));
        assertTrue(k.getMessage().contains("K = 60"), k.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> GemmLauncher.checkShape(16, 72, 64, EnumSet.of(GemmEpilogue.SWIGLU)));
        assertThrows(IllegalArgumentException.class, () -> GemmLauncher.checkShape(0, 64, 64, Set.of()));
        assertThrows(IllegalArgumentException.class,
                () -> GemmLauncher.checkShape(65536 * 128, 64, 64, Set.of()));
        assertEquals(393, GemmLauncher.gridColumns(50264));
        assertEquals(1, GemmLauncher.gridRows(16));
    }

    @Test
    void wgmmaTakesShapesThatFillItsTile() {
        assertTrue(GemmLauncher.wgmmaQualifies(4096, 4096));
        assertTrue(GemmLauncher.wgmmaQualifies(64, 128));
        assertTrue(!GemmLauncher.wgmmaQualifies(16, 4096), "decode steps stay on mma.sync");
        assertTrue(!GemmLauncher.wgmmaQualifies(4096, 64));
        assertEquals(197, GemmLauncher.wgmmaGridColumns(50264));
        assertEquals(4, GemmLauncher.wgmmaGridColumns(1024));
        assertEquals(7, GemmLauncher.wgmmaGridColumns(1792));
        // four 48 KiB stages + 1 KiB of alignment slack: within H100's 227 KiB opt-in
        assertEquals(4 * (128 + 256) * 64 * 2 + 1024, GemmLauncher.WGMMA_SHARED_BYTES);
        assertTrue(GemmLauncher.WGMMA_SHARED_BYTES <= 227 * 1024);
    }

    @Test
    void epilogueBitsMatchGemmCuAndContradictionsAreRefused() {
        assertEquals(0, GemmEpilogue.mode(Set.of()));
        assertEquals(1 | 8, GemmEpilogue.mode(EnumSet.of(GemmEpilogue.BIAS, GemmEpilogue.SWIGLU)));
        assertEquals(4, GemmEpilogue.mode(EnumSet.of(GemmEpilogue.ACCUMULATE)));
        assertThrows(IllegalArgumentException.class,
                () -> GemmEpilogue.mode(EnumSet.of(GemmEpilogue.OUT_BF16, GemmEpilogue.ACCUMULATE)));
    }

    @Test
    void swiGluRowsAreInterleavedInGroupsOfEight() {
        int hidden = 16;
        int d = 2;
        float[] fc1 = new float[2 * hidden * d];
        for (int r = 0; r < 2 * hidden; r++) {
            fc1[r * d] = r;            // row id in column 0
            fc1[r * d + 1] = 100 + r;
        }
        float[] out = SwiGluLayout.interleave(fc1, hidden, d);
        float[] rowOrder = new float[2 * hidden];
        for (int r = 0; r < rowOrder.length; r++) {
            rowOrder[r] = out[r * d];
            assertEquals(100 + out[r * d], out[r * d + 1], "rows move whole");
        }
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23,
            8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31}, rowOrder);
        assertThrows(IllegalArgumentException.class, () -> SwiGluLayout.interleave(new float[24], 12, 1));
    }

    @Test
    void stagingCapacityCountsBothPipelineSlots() {
        // per row and slot: fp32 + bf16 input (6 bytes per input column) and fp32 output
        long perRow = 2L * (6 * 1024 + 4 * 4096);
        assertEquals(1000, GpuBackend.rowsThatFit(1000 * perRow + 6 * DeviceArena.ALIGNMENT, 1024, 4096));
        assertEquals(999, GpuBackend.rowsThatFit(1000 * perRow, 1024, 4096));
        assertEquals(0, GpuBackend.rowsThatFit(100, 1024, 4096));
    }
}
