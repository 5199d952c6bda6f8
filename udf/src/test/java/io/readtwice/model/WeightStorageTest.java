package io.readtwice.model;

import io.readtwice.checkpoint.CheckpointLoader;
import io.readtwice.checkpoint.ModelCheckpoint;
import io.readtwice.checkpoint.WeightsFormat;
import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.FloatArraySource;
import io.readtwice.kernels.MatrixSource;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.testing.GoldenData;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model holds its weights once, in its storage precision: building a 16-bit model from a checkpoint or from
 * random weights allocates about the 16-bit bytes, never a float32 copy of the model beside them.
 */
class WeightStorageTest {
    private static final ModelConfig CONFIG = CheckpointLoader.load(GoldenData.model("tiny-gpt2-jrt")).config();

    /** Bytes of the embedding and MLP matrices as float32: a lower bound of the model's float32 weights. */
    private static long float32Bytes(ModelWeights w) {
        long floats = (long) w.embedding().rows() * w.embedding().cols();
        for (ModelWeights.LayerWeights l : w.layers()) {
            floats += (long) l.fc1().rows() * l.fc1().cols() + (long) l.fc2().rows() * l.fc2().cols();
        }
        return 4 * floats;
    }

    /** Bytes this thread allocates while {@code build} runs (HotSpot's per-thread allocation counter). */
    private static long allocatedBy(Supplier<?> build) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(id);
        Object kept = build.get();
        long bytes = threads.getThreadAllocatedBytes(id) - before;
        assertTrue(kept != null);
        return bytes;
    }

    @Test
    void randomAndCheckpointMatricesAreReadWhenStoredNotBefore() {
        ModelWeights random = RandomWeights.create(CONFIG, 7);
        ModelWeights loaded = CheckpointLoader.load(GoldenData.model("tiny-gpt2-jrt")).weights();
        for (ModelWeights w : new ModelWeights[] {random, loaded}) {
            assertFalse(w.embedding() instanceof FloatArraySource, "the embedding must not be read up front");
            for (ModelWeights.LayerWeights l : w.layers()) {
                assertFalse(l.fc1() instanceof FloatArraySource);
                assertFalse(l.fc2() instanceof FloatArraySource);
            }
        }
        // The same rows give the same values, whichever way they are read.
        MatrixSource fc1 = random.layers().get(0).fc1();
        float[] whole = fc1.toArray();
        float[] rows = new float[3 * fc1.cols()];
        fc1.read(5, 8, rows, 0);
        assertArrayEquals(java.util.Arrays.copyOfRange(whole, 5 * fc1.cols(), 8 * fc1.cols()), rows);
        assertArrayEquals(whole, RandomWeights.create(CONFIG, 7).layers().get(0).fc1().toArray(), "deterministic");
    }

    @Test
    void aSixteenBitModelAllocatesNoFloat32CopyOfItsWeights() {
        CpuBackend backend = new CpuBackend(1);
        ModelWeights random = RandomWeights.create(CONFIG, 7);
        long fp32 = float32Bytes(random);
        long bf16 = allocatedBy(() -> new LanguageModel(CONFIG, RandomWeights.create(CONFIG, 7), backend,
                WeightPrecision.BF16));
        long f32 = allocatedBy(() -> new LanguageModel(CONFIG, RandomWeights.create(CONFIG, 7), backend,
                WeightPrecision.FP32));
        assertTrue(bf16 < 0.6 * fp32, "bf16 model from random weights allocated " + bf16 + " bytes; float32 weights "
                + "are " + fp32);
        assertTrue(f32 < 1.1 * fp32, "fp32 model from random weights allocated " + f32 + " bytes for " + fp32);
        long fp16 = allocatedBy(() -> {
            ModelCheckpoint c = CheckpointLoader.load(GoldenData.model("tiny-gpt2-jrt"), WeightsFormat.SAFETENSORS,
                    WeightPrecision.FP16);
            return new LanguageModel(c.config(), c.weights(), backend, WeightPrecision.FP16);
        });
        assertTrue(fp16 < 0.6 * fp32, "fp16 model from a checkpoint allocated " + fp16 + " bytes; float32 weights "
                + "are " + fp32);
    }
}
