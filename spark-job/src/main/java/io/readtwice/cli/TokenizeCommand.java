package io.readtwice.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.readtwice.text.Gpt2Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code readtwice tokenize}: the GPT-2 BPE of the models (model-spec §6.1) over JSON Lines, one output line per input
 * line, in order.
 *
 * <p>A line that cannot be handled (bad JSON, no {@code "text"} string, an id that is not a token) becomes an
 * {@code {"error": "line N: …"}} line and the command goes on, so output line N always answers input line N; at the
 * end a one-line summary goes to stderr and the exit status is 1. Output JSON escapes non-ASCII characters, so it is
 * the same bytes whatever the platform's encoding.
 */
@Command(name = "tokenize",
        description = {"GPT-2 BPE over JSON Lines: {\"text\": ...} per line in, {\"ids\": [...]} out; with --decode "
                + "{\"ids\": [...]} in, {\"text\": ...} out. No BOS/EOS is added.",
                "A bad line gives {\"error\": \"line N: ...\"} in its place; the rest is still processed, and the "
                        + "exit status is 1."},
        sortOptions = false,
        usageHelpAutoWidth = true)
final class TokenizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--decode", description = "Turn {\"ids\": [...]} lines back into {\"text\": ...}.")
    boolean decode;

    @Option(names = "--input", paramLabel = "FILE", defaultValue = "-",
            description = "JSON Lines to read, UTF-8 (default: - for stdin).")
    String input;

    private final ObjectMapper mapper = JsonMapper.builder()
            .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private final Gpt2Tokenizer tokenizer = Gpt2Tokenizer.shared();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        int lines = 0;
        int failed = 0;
        String firstError = null;
        try (BufferedReader reader = open()) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines++;
                String result;
                try {
                    result = decode ? decodeLine(line) : encodeLine(line);
                } catch (BadLine e) {
                    String message = "line " + lines + ": " + e.getMessage();
                    result = mapper.writeValueAsString(mapper.createObjectNode().put("error", message));
                    failed++;
                    if (firstError == null) {
                        firstError = message;
                    }
                }
                out.write(result);
                out.write('\n');
            }
        }
        out.flush();
        if (failed == 0) {
            return 0;
        }
        PrintWriter err = spec.commandLine().getErr();
        err.println("readtwice tokenize: " + failed + " of " + lines + " lines failed (first: " + firstError + ")");
        err.flush();
        return ReadTwiceCli.EXIT_FAILURE;
    }

    private BufferedReader open() throws IOException {
        if (input.equals("-")) {
            return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        }
        return Files.newBufferedReader(Path.of(input), StandardCharsets.UTF_8);
    }

    /** {"text": "..."} → {"ids": [...]}; other keys are ignored. */
    private String encodeLine(String line) throws JsonProcessingException {
        JsonNode text = object(line).get("text");
        if (text == null || !text.isTextual()) {
            throw new BadLine("expected {\"text\": string}, "
                    + (text == null ? "no \"text\" key" : "\"text\" is " + kind(text)));
        }
        ObjectNode result = mapper.createObjectNode();
        ArrayNode ids = result.putArray("ids");
        for (int id : tokenizer.encode(text.textValue())) {
            ids.add(id);
        }
        return mapper.writeValueAsString(result);
    }

    /**
     * {"ids": [...]} → {"text": "..."}. Ids 50257..50263 (the models' padded vocabulary rows) decode to nothing, as
     * in generation; anything outside 0..50263 is an error.
     */
    private String decodeLine(String line) throws JsonProcessingException {
        JsonNode ids = object(line).get("ids");
        if (ids == null || !ids.isArray()) {
            throw new BadLine("expected {\"ids\": [integers]}, "
                    + (ids == null ? "no \"ids\" key" : "\"ids\" is " + kind(ids)));
        }
        int[] tokens = new int[ids.size()];
        for (int i = 0; i < tokens.length; i++) {
            JsonNode id = ids.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0
                    || id.intValue() >= Gpt2Tokenizer.PADDED_VOCAB_SIZE) {
                throw new BadLine("ids[" + i + "] = " + id + " is not a GPT-2 token id (0.."
                        + (Gpt2Tokenizer.PADDED_VOCAB_SIZE - 1) + ")");
            }
            tokens[i] = id.intValue();
        }
        return mapper.writeValueAsString(mapper.createObjectNode().put("text", tokenizer.decode(tokens)));
    }

    private JsonNode object(String line) {
        if (line.isBlank()) {
            throw new BadLine("empty line (expected a JSON object)");
        }
        JsonNode node;
        try {
            node = mapper.readTree(line);
        } catch (JsonProcessingException e) {
            throw new BadLine("not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new BadLine("expected a JSON object, got " + kind(node));
        }
        return node;
    }

    private static String kind(JsonNode node) {
        return node == null || node.isMissingNode() ? "nothing" : node.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    /** One input line that cannot be handled; its message becomes that line's error. */
    private static final class BadLine extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadLine(String message) {
            super(message, null, false, false);
        }
    }
}
