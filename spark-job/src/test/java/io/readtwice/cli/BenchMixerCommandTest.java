package io.readtwice.cli;

import io.readtwice.kernels.gpu.GpuProbe;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** bench-mixer without a GPU: one line on stderr, exit 1; bad options are usage errors (exit 2). */
class BenchMixerCommandTest {

    @Test
    void withoutAGpuItSaysSoInOneLine() {
        assumeFalse(GpuProbe.available(), "a GPU is present: the no-GPU message cannot be checked here");
        CliTestSupport.Run run = CliTestSupport.run("bench-mixer", "--lengths", "64");
        assertEquals(1, run.exitCode(), run.err());
        assertTrue(run.err().startsWith("readtwice bench-mixer: no GPU: "), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertEquals("", run.out());
    }

    @Test
    void aBadLengthIsAUsageError() {
        CliTestSupport.Run run = CliTestSupport.run("bench-mixer", "--lengths", "0");
        assertEquals(2, run.exitCode(), run.err());
        assertTrue(run.err().contains("--lengths"), run.err());
    }
}
