package io.readtwice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.readtwice.text.Gpt2Tokenizer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

import static io.readtwice.cli.CliTestSupport.golden;
import static io.readtwice.cli.CliTestSupport.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * End to end through {@code readtwice generate --json} on the GPT-2-vocabulary golden models (golden README,
 * "GPT-2-vocabulary models"): 8 greedy tokens must match exactly, and each step's log-probability must equal
 * {@code chosen_logit − logsumexp} of the reference within {@code 2e-4 + 1e-5·|chosen_logit|}.
 */
class GenerateCommandGoldenTest {
    private static final int NEW_TOKENS = 8;
    private static final int TOP_K = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    List<DynamicTest> jrt() throws IOException {
        Path dir = golden("tiny-gpt2-jrt");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases(dir)) {
            String padding = switch (c.get("decode_mode").asText()) {
                case "default_left_pad" -> "left";
                case "default" -> "none";
                default -> throw new IllegalStateException("decode_mode " + c.get("decode_mode"));
            };
            tests.add(DynamicTest.dynamicTest(c.get("name").asText() + " --jrt-padding " + padding,
                    () -> check(dir, c, promptIdsArgs(c), List.of("--jrt-padding", padding),
                            c.get("generation").get("new_tokens"), c.get("generation").get("step_logits_compact"))));
        }
        return tests;
    }

    @TestFactory
    List<DynamicTest> based() throws IOException {
        Path dir = golden("tiny-gpt2-based");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases(dir)) {
            String name = c.get("name").asText();
            JsonNode consistent = c.get("parallel_consistent");
            tests.add(DynamicTest.dynamicTest(name + " --based-decode reference",
                    () -> check(dir, c, promptIdsArgs(c), List.of("--based-decode", "reference"),
                            c.get("generation").get("new_tokens"), c.get("generation").get("step_logits_compact"))));
            tests.add(DynamicTest.dynamicTest(name + " --based-decode consistent",
                    () -> check(dir, c, promptIdsArgs(c), List.of("--based-decode", "consistent"),
                            consistent.get("greedy_new_tokens"), consistent.get("greedy_step_logits_compact"))));
        }
        return tests;
    }

    /** The same first JRT case, prompted with its text: tokenization must give the stored input_ids. */
    @Test
    void jrtPromptText() throws IOException {
        Path dir = golden("tiny-gpt2-jrt");
        JsonNode c = cases(dir).get(0);
        String text = c.get("prompt_text").asText();
        assertArrayEquals(ints(c.get("input_ids")), Gpt2Tokenizer.shared().encode(text), "tokenization of prompt_text");
        check(dir, c, List.of("--prompt", text), List.of("--jrt-padding", "left"),
                c.get("generation").get("new_tokens"), c.get("generation").get("step_logits_compact"));
    }

    private static void check(Path dir, JsonNode c, List<String> promptArgs, List<String> modeArgs,
                              JsonNode expectedTokens, JsonNode compact) throws IOException {
        List<String> args = new ArrayList<>(List.of("generate", "--model", dir.toString()));
        args.addAll(promptArgs);
        args.addAll(List.of("--max-new-tokens", "" + NEW_TOKENS, "--stop", "none", "--logprobs", "" + TOP_K, "--json"));
        args.addAll(modeArgs);
        CliTestSupport.Run r = run(args.toArray(new String[0]));
        assertEquals(0, r.exitCode(), r.toString());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(1, lines.size(), "exactly one JSON object on stdout:\n" + r.out());
        JsonNode result = JSON.readTree(lines.get(0));

        int[] expected = ints(expectedTokens);
        assertEquals(NEW_TOKENS, expected.length);
        assertArrayEquals(expected, ints(result.get("token_ids")), "greedy tokens");
        assertEquals(dir.toString(), result.get("model").asText());
        assertEquals(c.get("input_ids").size(), result.get("prompt_tokens").asInt(), "prompt_tokens");
        assertEquals(c.get("padded_input_ids").size(), result.get("padded_prompt_tokens").asInt(),
                "padded_prompt_tokens");
        assertEquals(Gpt2Tokenizer.shared().decode(expected), result.get("text").asText(), "text");
        assertTrue(result.get("stopped_by").isNull(), "stopped_by");

        JsonNode logprobs = result.get("token_logprobs");
        JsonNode top = result.get("top_logprobs");
        assertEquals(NEW_TOKENS, logprobs.size(), "token_logprobs");
        assertEquals(NEW_TOKENS, top.size(), "top_logprobs");
        StringBuilder mismatches = new StringBuilder();
        double worst = 0;
        for (int k = 0; k < NEW_TOKENS; k++) {
            assertEquals(expected[k], compact.get("chosen_ids").get(k).asInt(), "golden chosen id, step " + k);
            double chosenLogit = compact.get("chosen_logit").get(k).asDouble();
            double ref = chosenLogit - compact.get("logsumexp").get(k).asDouble();
            double got = logprobs.get(k).asDouble();
            double diff = Math.abs(got - ref);
            worst = Math.max(worst, diff);
            if (!(diff <= 2e-4 + 1e-5 * Math.abs(chosenLogit))) {
                mismatches.append(String.format("  step %d: logprob %.7f, reference %.7f, |diff| %.2e%n",
                        k, got, ref, diff));
            }
            JsonNode candidates = top.get(k);
            assertEquals(TOP_K, candidates.size(), "top_logprobs size, step " + k);
            assertEquals(expected[k], candidates.get(0).get("id").asInt(), "best candidate is the chosen id, step " + k);
            assertEquals(got, candidates.get(0).get("logprob").asDouble(), 1e-6, "top logprob = token logprob");
        }
        if (mismatches.length() > 0) {
            fail("token_logprobs off (max |diff| " + worst + "):\n" + mismatches);
        }
    }

    private static List<String> promptIdsArgs(JsonNode c) {
        StringJoiner ids = new StringJoiner(",");
        for (JsonNode id : c.get("input_ids")) {
            ids.add(id.asText());
        }
        return List.of("--prompt-ids", ids.toString());
    }

    private static JsonNode cases(Path dir) throws IOException {
        JsonNode root = JSON.readTree(dir.resolve("cases.json").toFile());
        assertEquals("compact", root.get("logits_format").asText());
        return root.get("cases");
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
