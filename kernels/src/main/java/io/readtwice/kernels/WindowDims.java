package io.readtwice.kernels;

/**
 * Shape of sliding-window attention (model-spec §5).
 *
 * @param heads      H
 * @param headDim    hd; rotary runs over all of it
 * @param windowBack keys looked back; a query attends windowBack + 1 keys including itself
 * @param rotaryBase rotary frequency base (10000)
 */
public record WindowDims(int heads, int headDim, int windowBack, float rotaryBase) {

    /** Positions kept by the decode cache. */
    public int cacheLength() {
        return windowBack + 1;
    }

    /** Floats of one sequence's key (or value) cache: [windowBack + 1, H·hd]. */
    public int cacheSize() {
        return cacheLength() * heads * headDim;
    }
}
