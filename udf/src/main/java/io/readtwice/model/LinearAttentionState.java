package io.readtwice.model;

import io.readtwice.kernels.LinearAttentionDims;

/** Creating and unpacking the linear-attention states shared by PLA and Based. */
final class LinearAttentionState {
    private LinearAttentionState() {
    }

    static LinearAttentionDims dims(ModelConfig config) {
        ModelConfig.LinearAttentionConfig c = config.linearAttention();
        return new LinearAttentionDims(c.numHeads(), c.featureDim(), c.headDim(), c.eps());
    }

    static MixerState create(LinearAttentionDims dims) {
        return new MixerState.LinearAttention(new float[dims.kvStateSize()], new float[dims.keySumSize()]);
    }

    static float[][] kv(MixerState[] states) {
        float[][] kv = new float[states.length][];
        for (int s = 0; s < states.length; s++) {
            kv[s] = ((MixerState.LinearAttention) states[s]).kv();
        }
        return kv;
    }

    static float[][] keySum(MixerState[] states) {
        float[][] z = new float[states.length][];
        for (int s = 0; s < states.length; s++) {
            z[s] = ((MixerState.LinearAttention) states[s]).keySum();
        }
        return z;
    }
}
