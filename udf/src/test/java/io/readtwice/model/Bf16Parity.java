package io.readtwice.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How GPU results (bf16 weights and GEMM inputs) are compared with the float32 CPU engine (docs/gpu-backend.md):
 * logits within {@code RELATIVE·max|ref| + ABSOLUTE}, greedy tokens agreeing on at least {@code TOKEN_AGREEMENT} of
 * the steps. Shared by the GPU backend's and the device-resident model's golden tests.
 */
public final class Bf16Parity {
    public static final double RELATIVE = 2e-2;
    public static final double ABSOLUTE = 1e-3;
    public static final double TOKEN_AGREEMENT = 0.95;

    private Bf16Parity() {
    }

    /** Leading pad positions of a golden case's PLA key mask (0 when there is none). */
    public static int maskedKeys(JsonNode goldenCase) {
        return Golden.maskedKeys(goldenCase);
    }

    /** The last row of [rows, vocab] logits. */
    public static float[] last(float[] logits, int vocab) {
        return Arrays.copyOfRange(logits, logits.length - vocab, logits.length);
    }

    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Asserts {@code max|Δ| ≤ RELATIVE·max|ref| + ABSOLUTE}, naming what was compared. */
    public static void assertClose(String what, float[] ref, float[] actual) {
        assertTrue(ref.length == actual.length, what + ": " + actual.length + " values, expected " + ref.length);
        double max = 0;
        for (float r : ref) {
            max = Math.max(max, Math.abs(r));
        }
        double tolerance = RELATIVE * max + ABSOLUTE;
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            worst = Math.max(worst, Math.abs(ref[i] - actual[i]));
        }
        assertTrue(worst <= tolerance, what + ": max |Δ| " + worst + " > " + tolerance);
    }
}
