package io.readtwice.kernels.gpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The probe answers without throwing, twice (JCuda's second touch without a driver is a NoClassDefFoundError). */
class GpuProbeTest {

    @Test
    void answersTheSameTwiceWithoutThrowing() {
        boolean first = GpuProbe.available();
        String description = GpuProbe.description();
        assertEquals(first, GpuProbe.available());
        assertEquals(description, GpuProbe.description());
        assertFalse(description.isBlank());
        assertFalse(description.contains("\n"), "one line: " + description);
        if (!first) {
            assertTrue(description.startsWith("no ") || description.contains("not built")
                    || description.contains("compute capability"), description);
        }
    }
}
