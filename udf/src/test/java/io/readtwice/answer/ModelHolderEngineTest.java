package io.readtwice.answer;

import io.readtwice.model.LanguageModel;
import io.readtwice.testing.GoldenData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Which model runs {@code --backend cpu|gpu}: the host engine, the resident GPU model, or the GpuBackend seam. */
class ModelHolderEngineTest {
    @Test
    void gpuRunsTheResidentModelUnlessTurnedOff() {
        assertEquals(ModelHolder.Engine.HOST, ModelHolder.engine(ModelHolder.CPU, true));
        assertEquals(ModelHolder.Engine.HOST, ModelHolder.engine(ModelHolder.CPU, false));
        assertEquals(ModelHolder.Engine.GPU_RESIDENT, ModelHolder.engine(ModelHolder.GPU, true));
        assertEquals(ModelHolder.Engine.GPU_SEAM, ModelHolder.engine(ModelHolder.GPU, false));
        assertThrows(IllegalArgumentException.class, () -> ModelHolder.engine(ModelHolder.AUTO, true),
                "auto is resolved first");
    }

    @Test
    void theDefaultIsTheResidentModelAndTheCpuStaysTheHostEngine() throws Exception {
        String before = System.clearProperty(ModelHolder.RESIDENT_PROPERTY);
        try {
            assertEquals(ModelHolder.Engine.GPU_RESIDENT, ModelHolder.engine(ModelHolder.GPU));
            System.setProperty(ModelHolder.RESIDENT_PROPERTY, "false");
            assertEquals(ModelHolder.Engine.GPU_SEAM, ModelHolder.engine(ModelHolder.GPU));
        } finally {
            if (before == null) {
                System.clearProperty(ModelHolder.RESIDENT_PROPERTY);
            } else {
                System.setProperty(ModelHolder.RESIDENT_PROPERTY, before);
            }
        }
        assertInstanceOf(LanguageModel.class,
                ModelHolder.acquire(GoldenData.model("tiny-a"), ModelHolder.CPU, 1).model());
    }
}
