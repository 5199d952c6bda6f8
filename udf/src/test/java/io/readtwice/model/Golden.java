package io.readtwice.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.readtwice.testing.GoldenData;

import static org.junit.jupiter.api.Assertions.fail;

/** Golden cases for the model tests, and the tolerance check of the golden README: |Δ| ≤ 2e-4 + 1e-5·|ref|. */
final class Golden {
    static final double ATOL = 2e-4;
    static final double RTOL = 1e-5;

    private Golden() {
    }

    /** Leading pad positions of a case's PLA key mask (0 when there is none). */
    static int maskedKeys(JsonNode c) {
        JsonNode mask = c.get("pla_key_mask");
        int masked = 0;
        if (mask != null && !mask.isNull()) {
            while (masked < mask.size() && mask.get(masked).asInt() == 0) {
                masked++;
            }
        }
        return masked;
    }

    /**
     * Asserts {@code |actual[off+i] − ref[i]| ≤ ATOL + RTOL·scale(i)} with scale = |ref[i]|, or the given magnitude
     * when positive (for traces: max|ref| of the tensor). Reports the worst element.
     */
    /** Largest |Δ| seen per check so far, by the first word of its description (the model); printed by tests. */
    static final java.util.Map<String, Double> WORST = new java.util.concurrent.ConcurrentSkipListMap<>();

    static double assertClose(String what, double[] ref, float[] actual, int off, double magnitude) {
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < ref.length; i++) {
            double diff = Math.abs(actual[off + i] - ref[i]);
            double allowed = ATOL + RTOL * (magnitude > 0 ? magnitude : Math.abs(ref[i]));
            if (diff > allowed || Double.isNaN(actual[off + i])) {
                fail(String.format("%s: element %d is %s, reference %s (|Δ| %.3g > %.3g)", what, i, actual[off + i],
                        ref[i], diff, allowed));
            }
            if (diff > worst) {
                worst = diff;
                worstAt = i;
            }
        }
        WORST.merge(what.split("[ /]")[0], worst, Math::max);
        return worst;
    }

    static double maxAbs(double[] values) {
        double m = 0;
        for (double v : values) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
