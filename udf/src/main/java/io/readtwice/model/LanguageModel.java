package io.readtwice.model;

import io.readtwice.kernels.Backend;

/** TODO */
public final class LanguageModel {
    private final ModelConfig config;
    private final ModelWeights weights;
    private final Backend backend;

    public LanguageModel(ModelConfig config, ModelWeights weights, Backend backend) {
        this.config = config;
        this.weights = weights;
        this.backend = backend;
    }

    public ModelConfig config() {
        return config;
    }
}
