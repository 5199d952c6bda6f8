package io.readtwice.checkpoint;

import io.readtwice.kernels.WeightPrecision;
import io.readtwice.model.ModelConfig;
import io.readtwice.model.ModelWeights;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Loads a model folder as downloaded from the hub or as in the golden data: {@code config.json} plus
 * {@code model.safetensors} and/or {@code pytorch_model.bin}. Loading reads the header, checks every tensor and
 * reads the small vectors; the weight matrices are read later, when a model stores them in its precision. Hub key
 * names ({@code model.} prefix, metric counters, the old {@code conv1}) are normalised first.
 */
public final class CheckpointLoader {
    static final String CONFIG_FILE = "config.json";

    private CheckpointLoader() {
    }

    /** Loads {@code modelDir}, preferring model.safetensors over pytorch_model.bin. */
    public static ModelCheckpoint load(Path modelDir) throws CheckpointException {
        return load(modelDir, WeightsFormat.AUTO);
    }

    /**
     * Loads {@code modelDir} from the given weights file. Every problem with the files is a
     * {@link CheckpointException} naming the file: the readers check each size and offset before they allocate or
     * read, and anything else a damaged or forged file might still provoke in them is reported the same way.
     */
    public static ModelCheckpoint load(Path modelDir, WeightsFormat format) throws CheckpointException {
        return load(modelDir, format, WeightPrecision.FP32);
    }

    /**
     * Loads {@code modelDir} for a model that stores its matrices in {@code precision}: the heap check counts
     * that many bytes per weight.
     */
    public static ModelCheckpoint load(Path modelDir, WeightsFormat format, WeightPrecision precision)
            throws CheckpointException {
        try {
            return read(modelDir, format, precision);
        } catch (CheckpointException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            throw new CheckpointException(modelDir + ": malformed checkpoint (" + e + ")", e);
        }
    }

    private static ModelCheckpoint read(Path modelDir, WeightsFormat format, WeightPrecision precision) {
        if (!Files.isDirectory(modelDir)) {
            throw new CheckpointException(modelDir + ": not a model directory");
        }
        List<String> warnings = new ArrayList<>();
        ModelConfig config = ModelConfigReader.read(modelDir.resolve(CONFIG_FILE), warnings);
        WeightsFormat resolved = resolve(modelDir, format);
        Path weightsFile = modelDir.resolve(resolved.fileName());
        Map<String, StoredTensor> raw = resolved == WeightsFormat.PYTORCH
                ? PytorchModelFile.readTensors(weightsFile)
                : SafetensorsFile.readHeader(weightsFile);
        Map<String, StoredTensor> tensors = HubKeyNames.normalize(raw, weightsFile);
        ModelWeights weights;
        try (TensorReader reader = new TensorReader(weightsFile)) {
            weights = new WeightMapper(config, tensors, weightsFile, precision).map(reader, warnings);
        }
        return new ModelCheckpoint(modelDir, config, weights, warnings);
    }

    /** The concrete format to read: the requested one, which must exist, or for AUTO the first that exists. */
    private static WeightsFormat resolve(Path dir, WeightsFormat format) {
        if (format == WeightsFormat.AUTO) {
            for (WeightsFormat f : List.of(WeightsFormat.SAFETENSORS, WeightsFormat.PYTORCH)) {
                if (Files.isRegularFile(dir.resolve(f.fileName()))) {
                    return f;
                }
            }
            throw new CheckpointException(dir + ": no weights file (expected " + WeightsFormat.SAFETENSORS.fileName()
                    + " or " + WeightsFormat.PYTORCH.fileName() + ")");
        }
        Path file = dir.resolve(format.fileName());
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(file + ": weights file not found");
        }
        return format;
    }
}
