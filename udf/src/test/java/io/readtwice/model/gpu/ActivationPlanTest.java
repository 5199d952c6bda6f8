package io.readtwice.model.gpu;

import io.readtwice.kernels.gpu.DeviceArena;
import io.readtwice.kernels.gpu.ElementType;
import io.readtwice.model.ModelConfig;
import io.readtwice.model.ReleasedShapes;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sizing of the device buffers of one pass, before anything is allocated. */
class ActivationPlanTest {
    private static final ModelConfig JRT = ReleasedShapes.parse("jrt-360m").config();
    private static final ModelConfig BASED = ReleasedShapes.parse("based-360m").config();

    @Test
    void widthsComeFromTheMixersTheModelHas() {
        ActivationPlan.Widths w = ActivationPlan.Widths.of(JRT);
        int d = JRT.dModel();
        int heads = JRT.linearAttention().numHeads();
        assertEquals(heads * 16, w.keyWidth());
        assertEquals(heads * JRT.linearAttention().headDim(), w.valueWidth());
        assertEquals(2 * d, w.convChannels(), "expand_proj 4: 2d channels");
        assertEquals(3 * d, w.windowWidth());
        assertTrue(w.encoder());
        // the widest projection: BaseConv's (u1, u2) = 4d, wider than qkv (3d) and q|k|v (2·H·F + d)
        assertEquals(Math.max(4L * d, Math.max(3L * d, 2L * heads * 16 + d)), w.projected());
        assertEquals(2L * d, w.mixed(), "BaseConv's 2d channels before out_proj");
        assertEquals(Math.max(3L * 2 * d, 2L * (JRT.slidingWindow().windowBack() + 1) * d), w.carriedPerSequence());
        assertTrue(!ActivationPlan.Widths.of(BASED).encoder());
    }

    @Test
    void bytesAreTheAlignedSizesOfEverySpec() {
        ActivationPlan plan = new ActivationPlan(JRT, 1000, 4, 4);
        List<ActivationPlan.Spec> specs = plan.specs();
        assertEquals(14, specs.size(), "one spec per field of Activations");
        long total = 0;
        for (ActivationPlan.Spec s : specs) {
            long raw = Math.max(1, s.elements()) * s.type().bytes();
            assertEquals(0, s.bytes() % DeviceArena.ALIGNMENT, s.name());
            assertTrue(s.bytes() >= raw && s.bytes() < raw + DeviceArena.ALIGNMENT, s.name());
            total += s.bytes();
        }
        assertEquals(total, plan.bytes());
        ActivationPlan.Spec residual = specs.get(1);
        assertEquals("residual", residual.name());
        assertEquals(ElementType.F32, residual.type());
        assertEquals(1000L * JRT.dModel(), residual.elements());
        ActivationPlan.Spec logits = specs.get(10);
        assertEquals(4L * JRT.paddedVocab(), logits.elements(), "logits only for the rows asked");
        ActivationPlan.Spec encoderKeys = new ActivationPlan(BASED, 1000, 4, 4).specs().get(4);
        assertEquals(0, encoderKeys.elements(), "no encoder buffers without an encoder");
    }

    @Test
    void rowsThatFitIsTheLargestPlanWithinTheBudget() {
        long budget = 3L << 30;
        int rows = ActivationPlan.rowsThatFit(JRT, 16, false, budget);
        assertTrue(rows > 1000, "3 GiB hold more than 1000 rows of a 360M model: " + rows);
        assertTrue(new ActivationPlan(JRT, rows, 16, 16).bytes() <= budget);
        assertTrue(new ActivationPlan(JRT, rows + 1, 16, 16).bytes() > budget);
        int all = ActivationPlan.rowsThatFit(JRT, 16, true, budget);
        assertTrue(all < rows, "logits for every row cost Vp floats a row");
        assertTrue(new ActivationPlan(JRT, all, 16, all).bytes() <= budget);
        assertEquals(0, ActivationPlan.rowsThatFit(JRT, 16, false, 1024));
    }
}
