package io.readtwice.prompt;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AnswerTextTest {

    @Test
    void cutsAtTheFirstStopAndTrims() {
        assertEquals("Paris", AnswerText.postProcess(" Paris\nQuestion: next", AnswerText.DEFAULT_STOPS));
        assertEquals("", AnswerText.postProcess("\nParis", AnswerText.DEFAULT_STOPS));
        assertEquals("Paris, France", AnswerText.postProcess("\u00a0Paris, France \t", AnswerText.DEFAULT_STOPS));
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        assertEquals("a", AnswerText.postProcess("a. b\nc", List.of("\n", ".")));
        assertEquals("a", AnswerText.postProcess("a###b", List.of("##", "#")));
    }

    @Test
    void emptyStopsAreIgnoredAndNoStopsOnlyTrims() {
        assertEquals("a\nb", AnswerText.postProcess(" a\nb ", List.of("")));
        assertEquals("a\nb", AnswerText.postProcess(" a\nb ", List.of()));
    }
}
