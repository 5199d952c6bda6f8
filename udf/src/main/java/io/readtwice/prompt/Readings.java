package io.readtwice.prompt;

/**
 * A JRT-Prompt laid out for N readings of the document (model-spec §7, {@link PromptStrategy}):
 * {@code lead + (reading + "\n") × (N − 1) + lastReading}. Every twice template of the harness is this with N = 2.
 *
 * @param lead        what comes before the first reading: the question or attribute, asked up front
 * @param reading     the document as read the first N − 1 times
 * @param lastReading the document read the last time, followed by the question as in the default prompt
 */
record Readings(String lead, String reading, String lastReading) {
    String render(int readings) {
        if (readings < 2) {
            throw new IllegalArgumentException("a JRT layout reads the document at least twice, got " + readings);
        }
        StringBuilder out = new StringBuilder(lead.length() + readings * (reading.length() + 1) + lastReading.length());
        out.append(lead);
        for (int i = 1; i < readings; i++) {
            out.append(reading).append('\n');
        }
        return out.append(lastReading).toString();
    }
}
