package io.readtwice.kernels.cpu;

/**
 * The second-order Taylor feature map of Based and JRT-RNN (model-spec §4.1):
 * {@code φ(x) = [1, x/F^¼, vec(x xᵀ)/(√2·√F)]}, so that {@code φ(q)·φ(k) = 1 + s + s²/2} with {@code s = q·k/√F}.
 * All F² products are kept (symmetric pairs twice), row-major, as the reference does.
 */
public final class TaylorFeatureMap {
    private final int featureDim;
    private final float linearScale;
    private final float quadraticScale;

    public TaylorFeatureMap(int featureDim) {
        this.featureDim = featureDim;
        this.linearScale = (float) (1.0 / Math.sqrt(Math.sqrt(featureDim)));
        this.quadraticScale = (float) (1.0 / (Math.sqrt(2.0) * Math.sqrt(featureDim)));
    }

    /** D = 1 + F + F². */
    public int expandedDim() {
        return 1 + featureDim + featureDim * featureDim;
    }

    /** Writes φ(x[xOff .. xOff+F)) into phi[phiOff .. phiOff+D). Note φ(0) = e₀. */
    public void apply(float[] x, int xOff, float[] phi, int phiOff) {
        phi[phiOff] = 1f;
        int f = featureDim;
        for (int a = 0; a < f; a++) {
            phi[phiOff + 1 + a] = x[xOff + a] * linearScale;
        }
        int base = phiOff + 1 + f;
        for (int a = 0; a < f; a++) {
            float xa = x[xOff + a] * quadraticScale;
            int row = base + a * f;
            for (int b = 0; b < f; b++) {
                phi[row + b] = xa * x[xOff + b];
            }
        }
    }
}
