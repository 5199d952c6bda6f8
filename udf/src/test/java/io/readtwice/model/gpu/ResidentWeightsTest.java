package io.readtwice.model.gpu;

import io.readtwice.kernels.MatrixSource;
import io.readtwice.kernels.gpu.DeviceArena;
import io.readtwice.kernels.gpu.DeviceBuffer;
import io.readtwice.model.MixerKind;
import io.readtwice.model.ModelConfig;
import io.readtwice.model.ModelWeights;
import io.readtwice.model.RandomWeights;
import io.readtwice.model.ReleasedShapes;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the device model uploads, planned without a device: every weight once, fc1 in the SwiGLU layout. */
class ResidentWeightsTest {
    private static final ModelConfig JRT = ReleasedShapes.parse("jrt-360m").config();

    /** Records the shapes asked for, in order. */
    private static final class Recording implements ResidentWeights.Store {
        final List<String> matrices = new ArrayList<>();
        int vectors;

        @Override
        public DeviceBuffer matrix(MatrixSource source, int rows, int cols, boolean swiGlu) {
            ResidentWeights.checkShape(source, rows, cols);
            matrices.add(rows + "x" + cols + (swiGlu ? " swiglu" : ""));
            return null;
        }

        @Override
        public DeviceBuffer vector(float[] values) {
            vectors++;
            return null;
        }
    }

    @Test
    void theByteCounterPlansEveryWeightAsTheArenaAlignsIt() {
        ModelWeights weights = RandomWeights.create(JRT, 1);   // lazy sources: nothing is generated here
        ResidentWeights.ByteCounter counter = new ResidentWeights.ByteCounter();
        ResidentWeights.upload(JRT, weights, counter);
        long expected = DeviceArena.align(2L * weights.embedding().rows() * weights.embedding().cols())
                + DeviceArena.align(4L * weights.lnF().length);
        for (ModelWeights.LayerWeights l : weights.layers()) {
            expected += 2 * DeviceArena.align(4L * JRT.dModel());
            expected += DeviceArena.align(2L * l.fc1().rows() * l.fc1().cols());
            expected += DeviceArena.align(2L * l.fc2().rows() * l.fc2().cols());
            if (l.mixer() instanceof ModelWeights.BaseConvWeights c) {
                expected += DeviceArena.align(2L * c.inProj().rows() * c.inProj().cols())
                        + DeviceArena.align(2L * c.outProj().rows() * c.outProj().cols())
                        + DeviceArena.align(4L * c.inBias().length) + DeviceArena.align(4L * c.outBias().length)
                        + DeviceArena.align(4L * c.conv().length);
            } else if (l.mixer() instanceof ModelWeights.PrefixLinearAttentionWeights p) {
                for (MatrixSource m : List.of(p.projQ(), p.projK(), p.projKEnc(), p.projV(), p.projVEnc(),
                        p.outProj())) {
                    expected += DeviceArena.align(2L * m.rows() * m.cols());
                }
            } else {
                ModelWeights.SlidingWindowWeights w = (ModelWeights.SlidingWindowWeights) l.mixer();
                expected += DeviceArena.align(2L * w.wqkv().rows() * w.wqkv().cols())
                        + DeviceArena.align(2L * w.outProj().rows() * w.outProj().cols());
            }
        }
        assertEquals(expected, counter.bytes());
        assertTrue(counter.bytes() > 600L << 20 && counter.bytes() < 900L << 20,
                "a 360M model in bf16 is ~700 MB: " + (counter.bytes() >> 20) + " MiB");
    }

    @Test
    void fc1GoesUpInTheSwiGluLayoutAndTheLayersKeepTheirMixers() {
        Recording r = new Recording();
        ResidentWeights w = ResidentWeights.upload(JRT, RandomWeights.create(JRT, 1), r);
        int d = JRT.dModel();
        int h = JRT.mlpHidden();
        assertEquals(JRT.paddedVocab() + "x" + d, r.matrices.get(0), "the embedding first");
        assertEquals(JRT.nLayer(), r.matrices.stream().filter(m -> m.equals(2 * h + "x" + d + " swiglu")).count());
        assertEquals(1 + 2 * JRT.nLayer() + 3 * JRT.layers().stream().filter(k -> k == MixerKind.BASE_CONV).count(),
                r.vectors, "ln_f, two norms a layer, BaseConv's two biases and taps");
        for (int l = 0; l < JRT.nLayer(); l++) {
            ResidentWeights.Mixer m = w.layers().get(l).mixer();
            switch (JRT.layers().get(l)) {
                case BASE_CONV -> assertTrue(m instanceof ResidentWeights.Conv);
                case SLIDING_WINDOW_ATTENTION -> assertTrue(m instanceof ResidentWeights.Window);
                case PREFIX_LINEAR_ATTENTION -> assertTrue(m instanceof ResidentWeights.Taylor);
                case LINEAR_ATTENTION -> assertTrue(m instanceof ResidentWeights.Taylor);
            }
        }
    }

    @Test
    void shapesTheTensorCoreGemmCannotRunAreRefusedUpFront() {
        ResidentWeights.checkGemmShapes(JRT);
        ModelConfig odd = new ModelConfig(JRT.vocabSize(), JRT.paddedVocab(), 84, JRT.mlpHidden(), JRT.normEps(),
                JRT.layers(), JRT.baseConv(), JRT.linearAttention(), JRT.slidingWindow());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResidentWeights.checkGemmShapes(odd));
        assertTrue(e.getMessage().contains("d_model"), e.getMessage());
    }

    @Test
    void aMatrixOfTheWrongShapeIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResidentWeights.checkShape(MatrixSource.of(new float[6], 2, 3), 3, 2));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
    }
}
