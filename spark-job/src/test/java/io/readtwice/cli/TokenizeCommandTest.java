package io.readtwice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code readtwice tokenize}: golden ids, round trip, and one error line per bad input line. */
class TokenizeCommandTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    private Path write(String name, List<String> lines) throws IOException {
        return Files.write(dir.resolve(name), lines, StandardCharsets.UTF_8);
    }

    private static List<JsonNode> outputLines(CliTestSupport.Run run) throws IOException {
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : run.out().split("\n", -1)) {
            if (!line.isEmpty()) {
                assertTrue(line.chars().allMatch(c -> c < 128), "ASCII-only output: " + line);
                nodes.add(MAPPER.readTree(line));
            }
        }
        return nodes;
    }

    @Test
    void encodesEveryGoldenCaseAndDecodesItBack() throws IOException {
        JsonNode cases = MAPPER.readTree(CliTestSupport.golden("tokenizer/gpt2-cases.json").toFile()).get("cases");
        List<String> texts = new ArrayList<>();
        for (JsonNode c : cases) {
            texts.add(MAPPER.createObjectNode().put("id", c.get("id").asInt()).put("text", c.get("text").asText())
                    .toString());
        }
        CliTestSupport.Run encoded = CliTestSupport.run("tokenize", "--input", write("in.jsonl", texts).toString());
        assertEquals(0, encoded.exitCode(), encoded.toString());
        List<JsonNode> ids = outputLines(encoded);
        assertEquals(cases.size(), ids.size());
        for (int i = 0; i < ids.size(); i++) {
            assertEquals(cases.get(i).get("ids"), ids.get(i).get("ids"), "case " + cases.get(i).get("id"));
        }

        List<String> idLines = ids.stream().map(JsonNode::toString).toList();
        CliTestSupport.Run decoded = CliTestSupport.run("tokenize", "--decode", "--input",
                write("ids.jsonl", idLines).toString());
        assertEquals(0, decoded.exitCode(), decoded.toString());
        List<JsonNode> textsBack = outputLines(decoded);
        for (int i = 0; i < textsBack.size(); i++) {
            assertEquals(cases.get(i).get("text").asText(), textsBack.get(i).get("text").asText(), "case " + i);
        }
    }

    @Test
    void badLinesBecomeErrorLinesAndTheRestIsStillDone() throws IOException {
        Path in = write("bad.jsonl", List.of(
                "{\"text\": \"Hello world\"}",
                "{\"text\": ",
                "",
                "[1, 2]",
                "{\"txt\": \"typo\"}",
                "{\"text\": 42}",
                "{\"text\": \"a\"} trailing",
                "{\"text\": \" world\"}"));
        CliTestSupport.Run run = CliTestSupport.run("tokenize", "--input", in.toString());
        assertEquals(1, run.exitCode(), run.toString());
        List<JsonNode> out = outputLines(run);
        assertEquals(8, out.size(), run.toString());
        assertEquals("[15496,995]", out.get(0).get("ids").toString());
        assertTrue(out.get(1).get("error").asText().startsWith("line 2: not JSON"), out.get(1).toString());
        assertEquals("line 3: empty line (expected a JSON object)", out.get(2).get("error").asText());
        assertEquals("line 4: expected a JSON object, got array", out.get(3).get("error").asText());
        assertEquals("line 5: expected {\"text\": string}, no \"text\" key", out.get(4).get("error").asText());
        assertEquals("line 6: expected {\"text\": string}, \"text\" is number", out.get(5).get("error").asText());
        assertTrue(out.get(6).get("error").asText().startsWith("line 7: not JSON"), out.get(6).toString());
        assertEquals("[995]", out.get(7).get("ids").toString());
        assertTrue(run.err().startsWith("readtwice tokenize: 6 of 8 lines failed (first: line 2: not JSON"),
                run.err());
    }

    @Test
    void decodeChecksIdsAndDropsPaddedVocabularyRows() throws IOException {
        Path in = write("ids.jsonl", List.of(
                "{\"ids\": [15496, 50257, 995, 50263]}",
                "{\"ids\": []}",
                "{\"ids\": [-1]}",
                "{\"ids\": [50264]}",
                "{\"ids\": [1.5]}",
                "{\"ids\": [\"3\"]}",
                "{\"ids\": 3}",
                "{\"ids\": [5.4e9]}"));
        CliTestSupport.Run run = CliTestSupport.run("tokenize", "--decode", "--input", in.toString());
        assertEquals(1, run.exitCode(), run.toString());
        List<JsonNode> out = outputLines(run);
        assertEquals("Hello world", out.get(0).get("text").asText());
        assertEquals("", out.get(1).get("text").asText());
        assertEquals("line 3: ids[0] = -1 is not a GPT-2 token id (0..50263)", out.get(2).get("error").asText());
        assertEquals("line 4: ids[0] = 50264 is not a GPT-2 token id (0..50263)", out.get(3).get("error").asText());
        assertTrue(out.get(4).get("error").asText().startsWith("line 5: ids[0] = 1.5 is not"), out.get(4).toString());
        assertTrue(out.get(5).get("error").asText().startsWith("line 6: ids[0] = \"3\" is not"),
                out.get(5).toString());
        assertEquals("line 7: expected {\"ids\": [integers]}, \"ids\" is number", out.get(6).get("error").asText());
        assertTrue(out.get(7).get("error").asText().startsWith("line 8: ids[0] ="), out.get(7).toString());
    }

    @Test
    void nonAsciiTextIsEscapedInTheOutput() throws IOException {
        String text = "Norðmaðr 🙂";
        CliTestSupport.Run encoded = CliTestSupport.run("tokenize", "--input",
                write("text.jsonl", List.of(MAPPER.createObjectNode().put("text", text).toString())).toString());
        assertEquals(0, encoded.exitCode(), encoded.toString());
        CliTestSupport.Run decoded = CliTestSupport.run("tokenize", "--decode", "--input",
                write("ids.jsonl", List.of(encoded.out().strip())).toString());
        assertEquals(0, decoded.exitCode(), decoded.toString());
        assertTrue(decoded.out().toLowerCase().contains("nor\\u00f0ma\\u00f0r"), decoded.out());
        assertEquals(text, outputLines(decoded).get(0).get("text").asText());
    }

    @Test
    void aMissingInputFileIsAFailure() {
        CliTestSupport.Run run = CliTestSupport.run("tokenize", "--input", dir.resolve("absent.jsonl").toString());
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("no such file"), run.err());
    }
}
