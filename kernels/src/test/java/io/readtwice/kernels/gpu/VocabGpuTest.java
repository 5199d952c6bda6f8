package io.readtwice.kernels.gpu;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * vocab.cu against the rule of udf's LogitsRow (restated here: the kernels module does not see udf): argmax is the
 * first index of the largest logit, log Σ exp is taken around the row max in double.
 */
class VocabGpuTest extends GpuKernelTest {
    private VocabGpu gpu;

    @BeforeEach
    void launcher() {
        gpu = new VocabGpu(context);
    }

    @ParameterizedTest
    @EnumSource(value = ElementType.class, names = {"F32", "BF16"})
    void greedyAndLogSoftmaxMatchTheReference(ElementType type) {
        int rows = 3;
        int vocab = 50264;
        float[] logits = GpuParity.random(new Random(4), rows * vocab, 3f, type);
        logits[vocab + 40000] = 30f;  // row 1: a tie, the first index wins
        logits[vocab + 50000] = 30f;
        logits[vocab + 20] = 30f;
        int[] argmax = new int[rows];
        float[] lse = new float[rows];
        float[] logProbs = new float[rows * vocab];
        for (int r = 0; r < rows; r++) {
            int best = 0;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) {
                float x = logits[r * vocab + i];
                if (x > max) {
                    max = x;
                    best = i;
                }
            }
            double sum = 0;
            for (int i = 0; i < vocab; i++) {
                sum += Math.exp(logits[r * vocab + i] - (double) max);
            }
            argmax[r] = best;
            lse[r] = (float) (max + Math.log(sum));
            for (int i = 0; i < vocab; i++) {
                logProbs[r * vocab + i] = (float) (logits[r * vocab + i] - (max + Math.log(sum)));
            }
        }
        try (DeviceBuffer dl = DeviceBuffer.of(context, type, logits);
             DeviceBuffer di = DeviceBuffer.allocate(context, ElementType.I32, rows);
             DeviceBuffer dlse = DeviceBuffer.allocate(context, ElementType.F32, rows);
             DeviceBuffer dlp = DeviceBuffer.allocate(context, ElementType.F32, (long) rows * vocab)) {
            gpu.greedy(dl, rows, vocab, di, dlse);
            gpu.logSoftmax(dl, rows, vocab, dlp);
            context.synchronize();
            int[] gotArgmax = new int[rows];
            di.download(gotArgmax);
            assertArrayEquals(argmax, gotArgmax, "argmax");
            GpuParity.assertClose("log-sum-exp", lse, GpuParity.download(dlse, rows), 1e-5, 1e-5);
            GpuParity.assertClose("log-probs", logProbs, GpuParity.download(dlp, rows * vocab), 1e-5, 1e-4);
        }
    }
}
