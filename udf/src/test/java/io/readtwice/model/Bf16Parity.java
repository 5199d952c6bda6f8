package io.readtwice.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.readtwice.testing.GoldenData;

import java.util.Arrays;
import java.util.List;

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
    private static int maskedKeys(JsonNode goldenCase) {
        return Golden.maskedKeys(goldenCase);
    }

    /** The last row of [rows, vocab] logits. */
    private static float[] last(float[] logits, int vocab) {
        return Arrays.copyOfRange(logits, logits.length - vocab, logits.length);
    }

    private static int argmax(float[] v) {
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

    /**
     * Every golden case of model {@code name}: both models prefill it (logits at every position compared), then take
     * {@code steps} greedy steps fed the reference's token, logits compared after each; asserts that the greedy
     * tokens agree on at least {@link #TOKEN_AGREEMENT} of all steps. {@code label} names the GPU side in the log.
     */
    public static <A extends CausalLm.Sequence, B extends CausalLm.Sequence> void assertGoldenAgreement(
            String label, String name, CausalLm<A> reference, CausalLm<B> gpu, int steps) {
        int vocab = reference.config().paddedVocab();
        int total = 0;
        int agreed = 0;
        for (JsonNode c : GoldenData.cases(name).get("cases")) {
            int[] fed = GoldenData.ints(c.get("padded_input_ids"));
            int[] masked = {maskedKeys(c)};
            CausalLm.Prefill<A> a = reference.prefill(List.of(fed), masked, true);
            CausalLm.Prefill<B> b = gpu.prefill(List.of(fed), masked, true);
            try {
                assertClose(name + " " + c.get("name").asText() + " prefill", a.logits(), b.logits());
                float[] la = last(a.logits(), vocab);
                float[] lb = last(b.logits(), vocab);
                for (int s = 0; s < steps; s++) {
                    int token = argmax(la);
                    total++;
                    agreed += token == argmax(lb) ? 1 : 0;
                    la = reference.step(a.states(), new int[] {token}, BasedDecode.CONSISTENT);
                    lb = gpu.step(b.states(), new int[] {token}, BasedDecode.CONSISTENT);
                    assertClose(name + " step " + s, la, lb);
                }
            } finally {
                reference.release(a.states());
                gpu.release(b.states());
            }
        }
        System.out.printf("%s golden %s: greedy tokens agree on %d of %d steps%n", label, name, agreed, total);
        assertTrue((double) agreed / total >= TOKEN_AGREEMENT, name + ": greedy tokens agree on " + agreed + " of "
                + total + " steps");
    }
}
