package io.readtwice.prompt;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parsing of tasks, strategies and cuts, and the option combinations refused up front. */
class PromptOptionsTest {

    @Test
    void strategiesParseToReadingsAndBackToCanonicalLabels() {
        assertEquals(1, PromptStrategy.parse("default").readings());
        assertEquals(2, PromptStrategy.parse("twice").readings());
        assertEquals(2, PromptStrategy.parse("TWICE").readings());
        assertEquals(5, PromptStrategy.parse("repeat:5").readings());
        assertEquals("default", PromptStrategy.parse("repeat:1").label());
        assertEquals("twice", PromptStrategy.parse("repeat:2").label());
        assertEquals("repeat:7", PromptStrategy.parse("repeat:7").label());
        assertEquals("repeat:32", PromptStrategy.parse("repeat:32").label());
    }

    @Test
    void badStrategiesAreClearErrors() {
        for (String bad : new String[] {"", "thrice", "repeat", "repeat:", "repeat:0", "repeat:-1", "repeat:33",
                "repeat:2.5", "repeat: 3", "repeat:99999999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PromptStrategy.parse(bad),
                    bad);
            assertTrue(e.getMessage().contains("strategy"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> PromptStrategy.parse(null));
        assertThrows(IllegalArgumentException.class, () -> new PromptStrategy(0));
    }

    @Test
    void tasksAndCutsParseFromTheirLabels() {
        for (Task task : Task.values()) {
            assertEquals(task, Task.parse(task.label()));
        }
        assertEquals(Task.TRIVIAQA, Task.parse("TriviaQA"));
        for (ContextCut cut : ContextCut.values()) {
            assertEquals(cut, ContextCut.parse(cut.label()));
        }
        assertEquals(ContextCut.AROUND_ANSWER, ContextCut.parse("around_answer"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Task.parse("squad2"));
        assertTrue(e.getMessage().contains("fda, swde, squad, triviaqa, drop, nq, generic"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ContextCut.parse("middle"));
    }

    @Test
    void defaultsAreThePapers() {
        PromptOptions options = PromptOptions.defaults();
        assertEquals(Task.GENERIC, options.task());
        assertEquals(PromptStrategy.DEFAULT, options.strategy());
        assertEquals(ContextCut.NONE, options.cut());
        assertEquals(2048, options.maxLength());
        assertEquals(48, options.maxNewTokens());
        assertEquals(2000, options.promptTokenBudget());
    }

    @Test
    void inconsistentCombinationsAreRefused() {
        PromptOptions base = PromptOptions.defaults();
        assertRefused("needs a token budget", () -> base.withCut(ContextCut.HEAD, 0));
        assertRefused("needs a context cut", () -> base.withCut(ContextCut.NONE, 100));
        assertRefused("0 or more", () -> base.withCut(ContextCut.TAIL, -1));
        assertRefused("must exceed max new tokens", () -> base.withLengths(48, 48));
        assertRefused("at least 1", () -> base.withLengths(2048, 0));
        assertRefused("use task generic", () -> base.withTask(Task.SQUAD).withTemplate("{context}"));
        assertRefused("strategy must be default",
                () -> base.withStrategy(PromptStrategy.TWICE).withTemplate("{context}"));
        assertRefused("template is empty", () -> base.withTemplate(""));
    }

    private static void assertRefused(String expected, Runnable construct) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construct::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
