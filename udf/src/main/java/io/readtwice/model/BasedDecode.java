package io.readtwice.model;

/** Recurrent decode of Based's linear attention (model-spec §10.4). */
public enum BasedDecode {
    /** One kv-state update per generated token: decoding equals a parallel forward over the same tokens. */
    CONSISTENT,
    /**
     * The reference harness: each generated token's φ(k)vᵀ is added to the state twice (the normaliser once).
     * Reproduces the paper's Based numbers.
     */
    REFERENCE
}
