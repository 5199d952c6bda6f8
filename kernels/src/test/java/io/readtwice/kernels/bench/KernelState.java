package io.readtwice.kernels.bench;

import java.util.SplittableRandom;

/** Deterministic random inputs for the kernel benchmarks. */
final class KernelState {
    private KernelState() {
    }

    static float[] random(int n, double scale, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextDouble(-1, 1) * scale);
        }
        return x;
    }
}
