package io.readtwice.answer;

import com.fasterxml.jackson.databind.JsonNode;
import io.readtwice.generate.JrtPadding;
import io.readtwice.model.BasedDecode;
import io.readtwice.model.LanguageModel;
import io.readtwice.prompt.ContextCut;
import io.readtwice.prompt.PromptBuilder;
import io.readtwice.prompt.PromptOptions;
import io.readtwice.prompt.PromptStrategy;
import io.readtwice.prompt.Task;
import io.readtwice.testing.GoldenData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The executor's answer engine without Spark: golden parity through micro-batches, bad rows, the model holder. */
class AnswererTest {
    private static LanguageModel jrt;
    private static JsonNode cases;

    @BeforeAll
    static void load() throws Exception {
        jrt = ModelHolder.acquire(GoldenData.model("tiny-gpt2-jrt"), ModelHolder.CPU, 1).model();
        cases = GoldenData.readJson(GoldenData.model("tiny-gpt2-jrt").resolve("cases.json")).get("cases");
    }

    private static AnswerSettings settings(int maxNewTokens, List<String> stops, int batchTokens, boolean fail) {
        PromptOptions prompt = new PromptOptions(Task.SQUAD, PromptStrategy.TWICE, null, ContextCut.NONE, 0, 2048,
                maxNewTokens);
        return new AnswerSettings(ModelHolder.CPU, PromptBuilder.create(prompt), stops, 1, JrtPadding.LEFT,
                BasedDecode.CONSISTENT, batchTokens, fail);
    }

    @Test
    void preTokenizedPromptsReproduceTheGoldenTokensAndLogprobsInSmallBatches() {
        List<QaRequest> requests = new ArrayList<>();
        List<JsonNode> used = new ArrayList<>();
        for (JsonNode c : cases) {
            if (c.get("decode_mode").asText().equals("default_left_pad")) {
                requests.add(QaRequest.ofIds(c.get("name").asText(), ints(c.get("input_ids")), null));
                used.add(c);
            }
        }
        // a budget of 300 tokens forces several micro-batches of different sizes
        List<QaAnswer> answers = new Answerer(jrt, settings(8, List.of(), 300, false)).answer(requests);
        assertEquals(requests.size(), answers.size());
        for (int i = 0; i < answers.size(); i++) {
            QaAnswer a = answers.get(i);
            JsonNode g = used.get(i).get("generation");
            assertTrue(a.ok(), a.error());
            assertEquals(requests.get(i).id(), a.id(), "answers come back in request order");
            assertArrayEquals(ints(g.get("new_tokens")), a.tokenIds(), a.id());
            JsonNode compact = g.get("step_logits_compact");
            for (int k = 0; k < a.tokenIds().length; k++) {
                double chosen = compact.get("chosen_logit").get(k).asDouble();
                double expected = chosen - compact.get("logsumexp").get(k).asDouble();
                assertEquals(expected, a.tokenLogprobs()[k], 2e-4 + 1e-5 * Math.abs(chosen), a.id() + " step " + k);
            }
            assertEquals(1, a.topLogprobs().get(0).size());
            assertNull(a.contains(), "no gold answers, no metrics");
        }
    }

    @Test
    void badRowsBecomeErrorsAndTheOthersAreAnswered() {
        int[] tooLong = new int[2048];
        List<QaRequest> requests = List.of(
                QaRequest.ofFields("ok", Map.of("context", "The Eiffel Tower is in Paris.", "question",
                        "Where is the Eiffel Tower?"), List.of("Paris")),
                QaRequest.invalid("bad-utf8", "invalid UTF-8 in column 'context'", null),
                QaRequest.ofFields("blank-question", Map.of("context", "Some text.", "question", "  "), null),
                QaRequest.ofIds("long", tooLong, null),
                QaRequest.ofIds("vocab", new int[]{1, 60000}, null),
                QaRequest.ofText("empty", "", null));
        List<QaAnswer> answers = new Answerer(jrt, settings(4, List.of("\n"), 4096, false)).answer(requests);
        assertTrue(answers.get(0).ok(), answers.get(0).error());
        assertNotNull(answers.get(0).contains());
        int generated = answers.get(0).generatedTokens();
        assertTrue(generated >= 1 && generated <= 4, "1..4 new tokens, got " + generated);
        assertEquals("invalid UTF-8 in column 'context'", answers.get(1).error());
        assertTrue(answers.get(2).error().contains("question"), answers.get(2).error());
        assertTrue(answers.get(3).error().startsWith("prompt too long: 2048 tokens"), answers.get(3).error());
        assertTrue(answers.get(4).error().contains("outside the model's vocabulary"), answers.get(4).error());
        assertEquals("empty prompt", answers.get(5).error());
        for (QaAnswer a : answers.subList(1, answers.size())) {
            assertFalse(a.ok());
            assertNull(a.tokenIds());
        }
        assertThrows(Answerer.BadRowException.class,
                () -> new Answerer(jrt, settings(4, List.of("\n"), 4096, true)).answer(requests));
    }

    @Test
    void theHolderLoadsOncePerFolderAndShares() throws Exception {
        ModelHolder.Acquired first = ModelHolder.acquire(GoldenData.model("tiny-gpt2-jrt"), ModelHolder.CPU, 1);
        ModelHolder.Acquired again = ModelHolder.acquire(GoldenData.model("tiny-gpt2-jrt"), ModelHolder.CPU, 1);
        assertSame(first.model(), again.model());
        assertFalse(again.loadedNow());
        ModelHolder.Acquired twoThreads = ModelHolder.acquire(GoldenData.model("tiny-gpt2-jrt"), ModelHolder.CPU, 2);
        assertFalse(twoThreads.loadedNow(), "the weights are shared; only the backend differs");
        assertThrows(IllegalArgumentException.class,
                () -> ModelHolder.acquire(GoldenData.model("tiny-gpt2-jrt"), "gpu", 1));
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
