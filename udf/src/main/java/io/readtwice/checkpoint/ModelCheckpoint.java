package io.readtwice.checkpoint;

import io.readtwice.model.ModelConfig;
import io.readtwice.model.ModelWeights;

import java.nio.file.Path;
import java.util.List;

/**
 * A loaded model folder.
 *
 * @param dir      the folder that held config.json and the weights file
 * @param config   hyperparameters derived from config.json
 * @param weights  the vectors, read; the matrices as sources that read the file when a model stores them
 * @param warnings things that did not stop loading but deserve a log line (e.g. unused tensors)
 */
public record ModelCheckpoint(Path dir, ModelConfig config, ModelWeights weights, List<String> warnings) {
    public ModelCheckpoint {
        warnings = List.copyOf(warnings);
    }
}
