package io.readtwice.kernels.gpu;

import io.readtwice.kernels.gpu.GemmSelfCheck.Choice;
import io.readtwice.kernels.gpu.GemmSelfCheck.Decision;
import io.readtwice.kernels.gpu.GemmSelfCheck.Trial;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The decision of GemmLauncher's wgmma self-check, with the kernels' outputs injected: runs without a GPU. The
 * device half (GemmSelfCheck.onDevice) runs in GemmGpuTest.
 */
class GemmSelfCheckTest {
    private static final float[] REFERENCE = {1.5f, -2.25f, 100f, 0.001f};

    private static Trial same(String epilogue) {
        return new Trial(epilogue, REFERENCE.clone(), REFERENCE.clone(), false);
    }

    @Test
    void agreementKeepsWgmmaAndRunsTheCheckOnce() {
        AtomicInteger runs = new AtomicInteger();
        Decision d = GemmSelfCheck.decide(null, 90, () -> {
            runs.incrementAndGet();
            return List.of(same("[]"), same("[BIAS]"), same("[SWIGLU]"));
        });
        assertEquals(Choice.WGMMA, d.choice());
        assertNull(d.warning());
        assertEquals(1, runs.get());
    }

    @Test
    void summationOrderNoiseIsWithinTheBound() {
        float[] wgmma = REFERENCE.clone();
        wgmma[2] += 100 * 5e-4f;          // half the fp32 bound at max |mma| = 100
        float[] bf16 = REFERENCE.clone();
        bf16[2] = 100.5f;                 // one bf16 step at 100 is 0.5
        Decision d = GemmSelfCheck.decide("auto", 90, () -> List.of(
                new Trial("[]", wgmma, REFERENCE.clone(), false),
                new Trial("[OUT_BF16]", bf16, REFERENCE.clone(), true)));
        assertEquals(Choice.WGMMA, d.choice(), d.reason());
    }

    @Test
    void anyDisagreementFallsBackToMmaSyncWithOneWarningNamingTheEpilogue() {
        float[] wrong = REFERENCE.clone();
        wrong[1] = 2.25f;                 // a sign flip, as a wrong fragment layout would give
        Decision d = GemmSelfCheck.decide("auto", 90, () -> List.of(same("[]"),
                new Trial("[ACCUMULATE]", wrong, REFERENCE.clone(), false), same("[SWIGLU]")));
        assertEquals(Choice.MMA_SYNC, d.choice());
        assertNotNull(d.warning());
        assertTrue(d.warning().contains("[ACCUMULATE]") && d.warning().contains("mma.sync"), d.warning());
        assertTrue(d.warning().contains("1 of 4"), d.warning());
        // bf16 outputs get a looser bound, but not an unlimited one
        float[] far = REFERENCE.clone();
        far[2] = 103f;
        assertEquals(Choice.MMA_SYNC, GemmSelfCheck.decide(null, 90,
                () -> List.of(new Trial("[OUT_BF16]", far, REFERENCE.clone(), true))).choice());
    }

    @Test
    void nanZerosAndMissingOutputsAreDisagreements() {
        float[] nan = REFERENCE.clone();
        nan[0] = Float.NaN;
        assertEquals(Choice.MMA_SYNC, GemmSelfCheck.decide(null, 90,
                () -> List.of(new Trial("[]", nan, REFERENCE.clone(), false))).choice());
        // an empty kernel body (the sm_80 stub) leaves the zeroed output
        assertEquals(Choice.MMA_SYNC, GemmSelfCheck.decide(null, 90,
                () -> List.of(new Trial("[]", new float[4], REFERENCE.clone(), false))).choice());
        assertEquals(Choice.MMA_SYNC, GemmSelfCheck.decide(null, 90,
                () -> List.of(new Trial("[]", new float[3], REFERENCE.clone(), false))).choice());
        assertEquals(Choice.MMA_SYNC, GemmSelfCheck.decide(null, 90, List::of).choice());
        float[] infinite = REFERENCE.clone();
        infinite[0] = Float.POSITIVE_INFINITY;
        assertEquals(Choice.MMA_SYNC, GemmSelfCheck.decide(null, 90,
                () -> List.of(new Trial("[]", infinite.clone(), infinite, false))).choice());
    }

    @Test
    void aCudaErrorDuringTheCheckFallsBack() {
        Decision d = GemmSelfCheck.decide(null, 90, () -> {
            throw new jcuda.CudaException("CUDA_ERROR_ILLEGAL_INSTRUCTION");
        });
        assertEquals(Choice.MMA_SYNC, d.choice());
        assertTrue(d.warning().contains("CUDA_ERROR_ILLEGAL_INSTRUCTION"), d.warning());
        Decision link = GemmSelfCheck.decide(null, 90, () -> {
            throw new UnsatisfiedLinkError("cuCtxCreate_v2");
        });
        assertEquals(Choice.MMA_SYNC, link.choice());
    }

    @Test
    void otherDevicesAndForcedChoicesSkipTheCheck() {
        GemmSelfCheck.Runner never = () -> {
            throw new AssertionError("the self-check must not run");
        };
        assertEquals(Choice.MMA_SYNC, GemmSelfCheck.decide(null, 80, never).choice());
        assertEquals(Choice.MMA_SYNC, GemmSelfCheck.decide("auto", 89, never).choice());
        assertEquals(Choice.MMA_SYNC, GemmSelfCheck.decide("auto", 100, never).choice());
        Decision mma = GemmSelfCheck.decide("mma", 90, never);
        assertEquals(Choice.MMA_SYNC, mma.choice());
        assertNull(mma.warning());
        assertEquals(Choice.WGMMA, GemmSelfCheck.decide(" WGMMA ", 90, never).choice());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> GemmSelfCheck.decide("wgmma", 80, never));
        assertTrue(e.getMessage().contains("sm_80"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GemmSelfCheck.decide("cublas", 90, never));
    }

    @Test
    void theCheckCoversEveryEpilogue() {
        List<java.util.Set<GemmEpilogue>> sets = GemmSelfCheck.epilogues();
        for (GemmEpilogue e : GemmEpilogue.values()) {
            assertTrue(sets.stream().anyMatch(s -> s.contains(e)), e + " is not self-checked");
        }
        sets.forEach(GemmEpilogue::mode);  // no contradictory combination
        // the problem is off both kernels' tiles and SwiGLU-compatible
        assertTrue(GemmSelfCheck.M % 128 != 0 && GemmSelfCheck.N % 256 != 0 && GemmSelfCheck.N % 128 != 0);
        assertTrue(GemmSelfCheck.K % 64 != 0 && GemmSelfCheck.K % 8 == 0 && GemmSelfCheck.N % 16 == 0);
        assertTrue(GemmLauncher.wgmmaQualifies(GemmSelfCheck.M, GemmSelfCheck.N));
    }
}
