package io.readtwice.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.junit.jupiter.api.Assertions.fail;

/** Access to ../shared/golden and the tolerance check of its README: |Δ| ≤ 2e-4 + 1e-5·|ref|. */
final class Golden {
    static final double ATOL = 2e-4;
    static final double RTOL = 1e-5;

    private Golden() {
    }

    static Path dir() {
        String property = System.getProperty("readtwice.shared");
        if (property != null && Files.isDirectory(Paths.get(property, "golden"))) {
            return Paths.get(property, "golden");
        }
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolveSibling("shared").resolve("golden");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("cannot find ../shared/golden (set -Dreadtwice.shared)");
    }

    static Path model(String name) {
        return dir().resolve(name);
    }

    static JsonNode cases(String model) {
        try {
            return new ObjectMapper().readTree(model(model).resolve("cases.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
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
