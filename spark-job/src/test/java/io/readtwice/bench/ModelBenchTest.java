package io.readtwice.bench;

import io.readtwice.checkpoint.CheckpointLoader;
import io.readtwice.checkpoint.ModelCheckpoint;
import io.readtwice.checkpoint.WeightsFormat;
import io.readtwice.job.JobTestSupport;
import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.model.LanguageModel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The bytes the decode bound is computed from (counted from the checkpoint's tensors) are the bytes the bandwidth
 * probe streams (the model's own decode matrices), for JRT-RNN (encoder projections left out) and Based.
 */
class ModelBenchTest {

    @Test
    void weightBytesAreTheBytesOfTheMatricesADecodeStepReads() throws Exception {
        for (String name : new String[] {"tiny-a", "tiny-based-a"}) {
            for (WeightPrecision precision : new WeightPrecision[] {WeightPrecision.FP32, WeightPrecision.BF16}) {
                ModelCheckpoint checkpoint = CheckpointLoader.load(JobTestSupport.golden(name), WeightsFormat.AUTO,
                        precision);
                LanguageModel model = new LanguageModel(checkpoint.config(), checkpoint.weights(),
                        new CpuBackend(1), precision);
                long matrixBytes = 0;
                for (Matrix m : model.decodeMatrices()) {
                    matrixBytes += m.bytes();
                }
                // weightBytes = matrices × bytes per weight + vectors × 4; the fp32 / bf16 pair separates the two.
                long matrixWeights = ModelBench.weightBytes(checkpoint.weights(), WeightPrecision.FP32)
                        - ModelBench.weightBytes(checkpoint.weights(), WeightPrecision.BF16);
                assertEquals(matrixWeights * precision.bytes() / 2, matrixBytes, name + " " + precision);
            }
        }
    }
}
