package io.readtwice.prompt;

import io.readtwice.text.Gpt2Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Document cuts, through {@link PromptBuilder}. The around-answer documents are runs of " the" (one GPT-2 token each)
 * around one " Paris" (one token), so the harness's token arithmetic can be followed by hand.
 */
class DocumentCutTest {
    private static final Gpt2Tokenizer TOKENIZER = Gpt2Tokenizer.shared();

    @BeforeAll
    static void tokensAreAsAssumed() {
        assertEquals(List.of(464, 262), toList(TOKENIZER.encode("The the")));
        assertEquals(1, TOKENIZER.encode(" Paris").length);
        assertEquals(1, TOKENIZER.encode(" ").length);
    }

    /** "The" + " the" × before + " Paris" + " the" × after. */
    private static String document(int before, int after) {
        return "The" + " the".repeat(before) + " Paris" + " the".repeat(after);
    }

    private static PreparedPrompt build(Task task, ContextCut cut, int budget, String context, String question,
                                        List<String> golds) {
        Map<String, String> row = new HashMap<>();
        row.put(PromptFields.CONTEXT, context);
        row.put(PromptFields.QUESTION, question);
        PromptOptions options = PromptOptions.defaults().withTask(task).withCut(cut, budget).withLengths(100_000, 48);
        return PromptBuilder.create(options).build(row, golds);
    }

    @Test
    void aroundAnswerCentresTheWindowOnTheAnswerAsTheHarness() {
        // n = 1 + 199 + 1 + 300 = 501 tokens. The text before "Paris" ends with a space, which the harness tokenizes
        // on its own: p = 200 + 1 = 201. Budget 100: start = 201 − 50 = 151, end = 201 + (100 − 50) = 251, i.e.
        // 49 × " the" (tokens 151..199), " Paris" (200), 50 × " the" (201..250).
        PreparedPrompt prompt = build(Task.GENERIC, ContextCut.AROUND_ANSWER, 100, document(199, 300), "Where?",
                List.of("paris"));
        String kept = " the".repeat(49) + " Paris" + " the".repeat(50);
        assertEquals(kept.strip() + " Where?", prompt.text());
        assertEquals(List.of("context: around-answer kept tokens 151..251 of 501 (answer at token 201, budget 100)"),
                prompt.truncations());
    }

    @Test
    void aroundAnswerCanDropTheHeadOfADocumentThatFitsTheBudget() {
        // n = 1 + 80 + 1 + 5 = 87 ≤ 100, but p = 82 > 50: start = 32, end = min(87, 82 + 68) = 87.
        PreparedPrompt prompt = build(Task.GENERIC, ContextCut.AROUND_ANSWER, 100, document(80, 5), "Q",
                List.of("Paris"));
        assertEquals((" the".repeat(49) + " Paris" + " the".repeat(5)).strip() + " Q", prompt.text());
        assertTrue(prompt.truncations().get(0).contains("kept tokens 32..87 of 87"), prompt.truncations().toString());
    }

    @Test
    void anAnswerThatIsNotFoundPutsTheWindowAtTheEnd() {
        // Not found: p = tokens of context[:-1] = "The" + 199 × " the" + " Paris" + 299 × " the" + " th" = 501.
        // start = 451, end = min(501, 501 + 50) = 501: the last 50 tokens.
        PreparedPrompt prompt = build(Task.GENERIC, ContextCut.AROUND_ANSWER, 100, document(199, 300), "Q",
                List.of("London"));
        assertEquals(501, TOKENIZER.countTokens(document(199, 299) + " th"), "p");
        assertEquals(" the".repeat(50).strip() + " Q", prompt.text());
        assertTrue(prompt.truncations().get(0).contains("451..501 of 501 (answer not found"),
                prompt.truncations().toString());
    }

    @Test
    void dropAndTriviaQaCentreOnPositionZero() {
        // p = 0: start = 0, end = 100: the first 100 tokens, whatever the golds.
        for (Task task : List.of(Task.DROP, Task.TRIVIAQA)) {
            PreparedPrompt prompt = build(task, ContextCut.AROUND_ANSWER, 100, document(199, 300), "Q?", List.of());
            assertEquals(("The" + " the".repeat(99)) + ". Q?", prompt.text(), task.label());
        }
    }

    @Test
    void fdaCentresOnTheEarlierOfKeyAndValue() {
        // The key "paris" matches before the value "Lyon", so the window is the one centred on Paris (p = 201).
        String context = document(199, 300) + " Lyon";
        PreparedPrompt prompt = build(Task.FDA, ContextCut.AROUND_ANSWER, 100, context, "paris", List.of("Lyon"));
        assertTrue(prompt.truncations().get(0).contains("kept tokens 151..251 of 502"),
                prompt.truncations().toString());
    }

    @Test
    void aroundAnswerStripsAndCleansUpLikeTheHarnessEvenWithoutACut() {
        PreparedPrompt prompt = build(Task.GENERIC, ContextCut.AROUND_ANSWER, 100, "  Paris , is n't it .  ",
                "Q", List.of("Paris"));
        assertEquals("Paris, isn't it. Q", prompt.text());
        assertEquals(List.of("context: around-answer kept all 7 tokens; stripped and decoded with Hugging Face "
                + "clean-up"), prompt.truncations());
    }

    @Test
    void aroundAnswerNeedsAUsableAnswer() {
        PromptException none = assertThrows(PromptException.class, () -> build(Task.SQUAD, ContextCut.AROUND_ANSWER,
                100, "Paris.", "Where?", List.of()));
        assertTrue(none.getMessage().contains("needs a gold answer"), none.getMessage());
        PromptException tooShort = assertThrows(PromptException.class, () -> build(Task.NQ,
                ContextCut.AROUND_ANSWER, 100, "Paris 5.", "How many?", List.of("5")));
        assertTrue(tooShort.getMessage().contains("at least 2 characters"), tooShort.getMessage());
        PromptException shortKey = assertThrows(PromptException.class, () -> build(Task.SWDE,
                ContextCut.AROUND_ANSWER, 100, "x: 1.", "x", List.of("12")));
        assertTrue(shortKey.getMessage().contains("the question (attribute key) 'x'"), shortKey.getMessage());
    }

    @Test
    void headAndTailKeepTheBudgetOnlyWhenTheDocumentIsLonger() {
        String context = "The" + " the".repeat(299);
        PreparedPrompt head = build(Task.GENERIC, ContextCut.HEAD, 100, context, "Q", List.of());
        assertEquals("The" + " the".repeat(99) + " Q", head.text());
        assertEquals(List.of("context: kept the first 100 of 300 tokens (head)"), head.truncations());
        PreparedPrompt tail = build(Task.GENERIC, ContextCut.TAIL, 100, context, "Q", List.of());
        assertEquals(" the".repeat(100).strip() + " Q", tail.text());
        assertEquals(List.of("context: kept the last 100 of 300 tokens (tail)"), tail.truncations());

        PreparedPrompt fits = build(Task.GENERIC, ContextCut.HEAD, 300, context, "Q", List.of());
        assertEquals(context + " Q", fits.text());
        assertEquals(List.of(), fits.truncations());
    }

    @Test
    void squadCutsTheHarnessTextWhenPresent() {
        Map<String, String> row = new HashMap<>();
        row.put(PromptFields.CONTEXT, "Paragraph.");
        row.put(PromptFields.QUESTION, "Where?");
        row.put(PromptFields.SQUAD_TEXT, "The" + " the".repeat(299) + " Paris");
        PromptOptions options = PromptOptions.defaults().withTask(Task.SQUAD).withCut(ContextCut.HEAD, 10);
        PreparedPrompt prompt = PromptBuilder.create(options).build(row, List.of());
        assertEquals("The" + " the".repeat(9), prompt.text());
        assertEquals(List.of("text: kept the first 10 of 301 tokens (head)"), prompt.truncations());
    }

    private static List<Integer> toList(int[] ids) {
        return java.util.Arrays.stream(ids).boxed().toList();
    }
}
