package io.readtwice.answer;

import com.fasterxml.jackson.databind.JsonNode;
import io.readtwice.checkpoint.CheckpointLoader;
import io.readtwice.checkpoint.ModelCheckpoint;
import io.readtwice.generate.Generator;
import io.readtwice.generate.JrtPadding;
import io.readtwice.kernels.Backend;
import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.DeviceOutOfMemory;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.kernels.gpu.GpuProbe;
import io.readtwice.model.BasedDecode;
import io.readtwice.model.LanguageModel;
import io.readtwice.prompt.ContextCut;
import io.readtwice.prompt.PromptBuilder;
import io.readtwice.prompt.PromptOptions;
import io.readtwice.prompt.PromptStrategy;
import io.readtwice.prompt.Task;
import io.readtwice.testing.GoldenData;
import io.readtwice.text.Gpt2Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
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
        jrt = (LanguageModel) ModelHolder.acquire(GoldenData.model("tiny-gpt2-jrt"), ModelHolder.CPU, 1).model();
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

    /** Requests with short, distinct prompts; prompt ids of row i start with 100 + i. */
    private static List<QaRequest> rows(int n) {
        List<QaRequest> requests = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            requests.add(QaRequest.ofIds("r" + i, new int[]{100 + i, 11, 12}, null));
        }
        return requests;
    }

    private static Answerer.Engine real() {
        return new Generator(jrt, Gpt2Tokenizer.shared()::decode)::generate;
    }

    @Test
    void aRowTheEngineFailsOnAloneIsAnErrorRowAndItsBatchIsStillAnswered() {
        List<List<Integer>> calls = new ArrayList<>();
        Answerer.Engine engine = (prompts, options) -> {
            calls.add(prompts.stream().map(p -> p[0]).toList());
            if (prompts.stream().anyMatch(p -> p[0] == 102)) {
                throw new IllegalStateException("kernel bug on row 2");
            }
            return real().generate(prompts, options);
        };
        List<QaAnswer> answers = new Answerer(jrt, settings(2, List.of(), 4096, false), engine).answer(rows(5));
        assertEquals(List.of(100, 101, 102, 103, 104), calls.get(0), "one batch first");
        assertEquals(5, answers.size());
        for (QaAnswer a : answers) {
            if (a.id().equals("r2")) {
                assertEquals("generation failed: java.lang.IllegalStateException: kernel bug on row 2", a.error());
            } else {
                assertTrue(a.ok(), a.id() + ": " + a.error());
            }
        }
    }

    @Test
    void aBatchOutOfMemoryIsSplitInHalvesAndOneRowOutOfMemoryFailsTheTaskNotTheJvm() {
        List<Integer> sizes = new ArrayList<>();
        Answerer.Engine smallOnly = (prompts, options) -> {
            sizes.add(prompts.size());
            if (prompts.size() > 2) {
                throw new OutOfMemoryError("Java heap space (injected)");
            }
            return real().generate(prompts, options);
        };
        List<QaAnswer> answers = new Answerer(jrt, settings(2, List.of(), 4096, false), smallOnly).answer(rows(7));
        assertTrue(answers.stream().allMatch(QaAnswer::ok));
        assertEquals(List.of(7, 3, 1, 2, 4, 2, 2), sizes, "halves until a batch fits");

        Answerer.Engine never = (prompts, options) -> {
            throw new OutOfMemoryError("CUDA out of memory (injected)");
        };
        EngineFailure e = assertThrows(EngineFailure.class,
                () -> new Answerer(jrt, settings(2, List.of(), 4096, false), never).answer(rows(3)));
        assertTrue(e.getMessage().startsWith("out of memory generating one row of 3 prompt tokens"), e.getMessage());
        assertInstanceOf(OutOfMemoryError.class, e.getCause());
    }

    @Test
    void aDeviceOutOfMemorySplitsTheBatchAndRetriesLikeAHeapOne() {
        List<Integer> sizes = new ArrayList<>();
        Answerer.Engine device = (prompts, options) -> {
            sizes.add(prompts.size());
            if (prompts.size() > 3) {
                throw new DeviceOutOfMemory("projection output (simulated)", 1L << 30, 1L << 20);
            }
            return real().generate(prompts, options);
        };
        List<QaAnswer> answers = new Answerer(jrt, settings(2, List.of(), 4096, false), device).answer(rows(6));
        assertTrue(answers.stream().allMatch(QaAnswer::ok), "no row is lost to the device running out");
        assertEquals(List.of(6, 3, 3), sizes);

        Answerer.Engine never = (prompts, options) -> {
            throw new DeviceOutOfMemory("weights (simulated)", 1L << 30, 0);
        };
        EngineFailure e = assertThrows(EngineFailure.class,
                () -> new Answerer(jrt, settings(2, List.of(), 4096, false), never).answer(rows(2)));
        assertInstanceOf(DeviceOutOfMemory.class, e.getCause());
    }

    @Test
    void theBatchBudgetShrinksToWhatTheDeviceHasRoomFor() throws Exception {
        ModelCheckpoint c = CheckpointLoader.load(GoldenData.model("tiny-gpt2-jrt"));
        int[] roomFor = {Integer.MAX_VALUE};
        List<int[]> shapes = new ArrayList<>();
        CpuBackend cpu = new CpuBackend(1);
        Backend device = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class}, (proxy, method, args) -> {
                    if (method.getName().equals("maxLinearRows")) {
                        shapes.add(new int[] {(int) args[0], (int) args[1]});
                        return roomFor[0];
                    }
                    return method.invoke(cpu, args);
                });
        LanguageModel small = new LanguageModel(c.config(), c.weights(), device);
        List<Integer> sizes = new ArrayList<>();
        Answerer.Engine engine = (prompts, options) -> {
            sizes.add(prompts.size());
            return real().generate(prompts, options);
        };
        new Answerer(small, settings(2, List.of(), 4096, false), engine).answer(rows(4));
        assertEquals(List.of(4), sizes, "room for everything: one batch");
        int d = c.config().dModel();
        assertEquals(2 * c.config().mlpHidden(), shapes.get(0)[1], "asks for the widest projection (fc1)");
        assertTrue(shapes.get(0)[0] >= d);

        sizes.clear();
        roomFor[0] = 1;
        List<QaAnswer> answers = new Answerer(small, settings(2, List.of(), 4096, false), engine).answer(rows(4));
        assertEquals(List.of(1, 1, 1, 1), sizes, "a one-token budget: every row alone");
        assertTrue(answers.stream().allMatch(QaAnswer::ok));
    }

    @Test
    void anEngineThatFailsEveryRowFailsTheTaskInsteadOfWritingErrorRows() {
        Answerer.Engine broken = (prompts, options) -> {
            throw new IllegalStateException("device lost (injected)");
        };
        // fewer rows than the streak cannot tell a broken engine from broken rows: error rows
        List<QaAnswer> few = new Answerer(jrt, settings(2, List.of(), 4096, false), broken)
                .answer(rows(Answerer.ENGINE_FAILURE_STREAK - 1));
        assertTrue(few.stream().noneMatch(QaAnswer::ok));
        // a streak of rows failing alone is the engine: the task fails
        EngineFailure e = assertThrows(EngineFailure.class, () -> new Answerer(jrt,
                settings(2, List.of(), 4096, false), broken).answer(rows(Answerer.ENGINE_FAILURE_STREAK + 2)));
        assertTrue(e.getMessage().contains("the engine is failing, not the rows"), e.getMessage());
        // under --on-error fail, a generation failure fails the task as an engine failure, not as a bad row
        e = assertThrows(EngineFailure.class, () -> new Answerer(jrt, settings(2, List.of(), 4096, true), broken)
                .answer(rows(1)));
        assertTrue(e.getMessage().startsWith("generation failed for row r0"), e.getMessage());
        // an EngineFailure from the engine itself (a GPU backend's device error) passes straight through
        EngineFailure device = new EngineFailure("CUDA error 999 (injected)", null);
        assertSame(device, assertThrows(EngineFailure.class, () -> new Answerer(jrt,
                settings(2, List.of(), 4096, false), (p, o) -> {
                    throw device;
                }).answer(rows(2))));
        // one success resets the streak: failures spread over good rows stay row errors
        Answerer.Engine everyOther = (prompts, options) -> {
            if (prompts.size() > 1 || prompts.get(0)[0] % 2 == 1) {
                throw new IllegalStateException("odd row (injected)");
            }
            return real().generate(prompts, options);
        };
        List<QaAnswer> mixed = new Answerer(jrt, settings(2, List.of(), 4096, false), everyOther).answer(rows(12));
        assertEquals(6, mixed.stream().filter(QaAnswer::ok).count());
    }

    @Test
    void aRowWhosePromptCannotBeBuiltIsAnErrorRow() {
        String unbroken = "a".repeat(Gpt2Tokenizer.MAX_PIECE_CHARS + 1);
        List<QaRequest> requests = List.of(
                QaRequest.ofFields("huge-word", Map.of("context", unbroken, "question", "What?"), null),
                QaRequest.ofText("huge-prompt", "x" + unbroken, null),
                QaRequest.ofFields("ok", Map.of("context", "Rome is in Italy.", "question", "Where is Rome?"), null));
        List<QaAnswer> answers = new Answerer(jrt, settings(2, List.of(), 4096, false)).answer(requests);
        assertTrue(answers.get(0).error().startsWith("cannot build the prompt: "), answers.get(0).error());
        assertTrue(answers.get(0).error().contains("without a space"), answers.get(0).error());
        assertTrue(answers.get(1).error().contains("without a space"), answers.get(1).error());
        assertTrue(answers.get(2).ok(), answers.get(2).error());
    }

    @Test
    void theHolderLoadsOncePerFolderAndShares() throws Exception {
        ModelHolder.Acquired first = ModelHolder.acquire(GoldenData.model("tiny-gpt2-jrt"), ModelHolder.CPU, 1);
        ModelHolder.Acquired again = ModelHolder.acquire(GoldenData.model("tiny-gpt2-jrt"), ModelHolder.CPU, 1);
        assertSame(first.model(), again.model());
        assertFalse(again.loadedNow());
        ModelHolder.Acquired twoThreads = ModelHolder.acquire(GoldenData.model("tiny-gpt2-jrt"), ModelHolder.CPU, 2);
        assertEquals(ModelHolder.CPU, first.backend());
        assertNotSame(first.model(), twoThreads.model());
        ModelHolder.Acquired bf16 = ModelHolder.acquire(GoldenData.model("tiny-gpt2-jrt"), ModelHolder.CPU, 1,
                WeightPrecision.BF16);
        assertTrue(bf16.loadedNow(), "a precision is a model of its own");
        assertEquals(WeightPrecision.BF16, bf16.model().precision());
        assertThrows(IllegalArgumentException.class,
                () -> ModelHolder.acquire(GoldenData.model("tiny-gpt2-jrt"), "tpu", 1));
        if (!GpuProbe.available()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ModelHolder.acquire(GoldenData.model("tiny-gpt2-jrt"), ModelHolder.GPU, 1));
            assertTrue(e.getMessage().startsWith("--backend gpu: "), e.getMessage());
            ModelHolder.Acquired auto = ModelHolder.acquire(GoldenData.model("tiny-gpt2-jrt"), ModelHolder.AUTO, 1);
            assertEquals(ModelHolder.CPU, auto.backend(), "auto falls back to the CPU");
            assertSame(first.model(), auto.model());
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
