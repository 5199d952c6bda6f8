package io.readtwice.prompt;

import java.util.List;
import java.util.Objects;

/** The answer in a generation: the text before the first stop sequence, trimmed. */
public final class AnswerText {
    /** The paper's stop sequence ({@code until ["\n"]}, model-spec §7). */
    public static final List<String> DEFAULT_STOPS = List.of("\n");

    private AnswerText() {
    }

    /**
     * Cuts {@code generation} at the earliest occurrence of any stop sequence (empty ones are ignored, as the harness
     * does) and strips surrounding whitespace (Python's notion of it). An empty stop list only strips.
     */
    public static String postProcess(String generation, List<String> stops) {
        Objects.requireNonNull(generation, "generation");
        Objects.requireNonNull(stops, "stops");
        int end = generation.length();
        for (String stop : stops) {
            if (stop == null || stop.isEmpty()) {
                continue;
            }
            int at = generation.indexOf(stop);
            if (at >= 0 && at < end) {
                end = at;
            }
        }
        return PythonStr.strip(generation.substring(0, end));
    }
}
