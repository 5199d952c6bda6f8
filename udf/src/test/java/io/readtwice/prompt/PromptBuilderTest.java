package io.readtwice.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.readtwice.testing.GoldenData;
import io.readtwice.text.Gpt2Tokenizer;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The builder's contract: fields, row errors, tokenization and left truncation, serialisation, real data. */
class PromptBuilderTest {
    private static final Gpt2Tokenizer TOKENIZER = Gpt2Tokenizer.shared();

    private static Map<String, String> row(String context, String question) {
        Map<String, String> row = new HashMap<>();
        row.put(PromptFields.CONTEXT, context);
        row.put(PromptFields.QUESTION, question);
        return row;
    }

    @Test
    void requiredAndOptionalFields() {
        PromptOptions options = PromptOptions.defaults();
        assertEquals(List.of("context", "question"), List.copyOf(PromptBuilder.create(options).requiredFields()));
        assertEquals(Set.of(), PromptBuilder.create(options).optionalFields());
        assertEquals(Set.of("text"), PromptBuilder.create(options.withTask(Task.SQUAD)).optionalFields());
        assertEquals(Set.of(), PromptBuilder.create(options.withTask(Task.DROP)).optionalFields());
        assertEquals(Set.of("orig_question"),
                PromptBuilder.create(options.withTask(Task.NQ).withStrategy(PromptStrategy.TWICE)).optionalFields());
        PromptBuilder templated = PromptBuilder.create(options.withTemplate("{title}: {question} {context}"));
        assertEquals(List.of("title", "question", "context"), List.copyOf(templated.requiredFields()));
    }

    @Test
    void theTemplateIsCheckedWhenTheBuilderIsCreated() {
        IllegalArgumentException syntax = assertThrows(IllegalArgumentException.class,
                () -> PromptBuilder.create(PromptOptions.defaults().withTemplate("{question")));
        assertTrue(syntax.getMessage().contains("never closed"), syntax.getMessage());
        IllegalArgumentException nothingToCut = assertThrows(IllegalArgumentException.class,
                () -> PromptBuilder.create(PromptOptions.defaults().withTemplate("{question}")
                        .withCut(ContextCut.HEAD, 10)));
        assertTrue(nothingToCut.getMessage().contains("does not use"), nothingToCut.getMessage());
    }

    @Test
    void badRowsAreRowErrorsNamingTheField() {
        PromptBuilder builder = PromptBuilder.create(PromptOptions.defaults().withTask(Task.FDA));
        assertRowError(builder, row(null, "key"), "field 'context' is null");
        assertRowError(builder, row("", "key"), "field 'context' is empty");
        assertRowError(builder, row(" \n\u00a0", "key"), "field 'context' is blank");
        assertRowError(builder, row("text", null), "field 'question' is null");
        assertRowError(builder, row("text", "  "), "field 'question' is blank");
        assertRowError(builder, Map.of(PromptFields.CONTEXT, "text"), "field 'question' is missing");

        PromptBuilder templated = PromptBuilder.create(PromptOptions.defaults().withTemplate("{title}"));
        assertRowError(templated, Map.of("title", ""), "the prompt is empty (0 tokens)");
        PromptBuilder withContext = PromptBuilder.create(PromptOptions.defaults().withTemplate("{context}?"));
        assertRowError(withContext, Map.of("context", " "), "field 'context' is blank");
    }

    @Test
    void theEmptyContextIsRefusedForEveryTask() {
        for (Task task : Task.values()) {
            for (PromptStrategy strategy : List.of(PromptStrategy.DEFAULT, PromptStrategy.TWICE)) {
                PromptBuilder builder = PromptBuilder.create(PromptOptions.defaults().withTask(task)
                        .withStrategy(strategy));
                assertRowError(builder, row("", "q"), "field 'context' is empty");
            }
        }
    }

    @Test
    void promptsAreTokenizedWithoutBos() {
        PreparedPrompt prompt = PromptBuilder.create(PromptOptions.defaults()).build(row("Hello", "world"), null);
        assertEquals("Hello world", prompt.text());
        assertArrayEquals(new int[] {15496, 995}, prompt.ids());
        assertEquals(2, prompt.untruncatedTokens());
        assertEquals(List.of(), prompt.truncations());
    }

    @Test
    void longPromptsKeepTheirLastTokens() {
        // Budget 60 − 10 = 50 tokens. Prompt: "The" + 99 × " the" + " Where?" ("Where" and "?" after a space: 2).
        PromptOptions options = PromptOptions.defaults().withLengths(60, 10);
        String context = "The" + " the".repeat(99);
        PreparedPrompt prompt = PromptBuilder.create(options).build(row(context, "Where?"), List.of());
        int[] all = TOKENIZER.encode(context + " Where?");
        assertEquals(all.length, prompt.untruncatedTokens());
        assertArrayEquals(Arrays.copyOfRange(all, all.length - 50, all.length), prompt.ids());
        assertEquals(TOKENIZER.decode(prompt.ids()), prompt.text());
        assertTrue(prompt.text().endsWith(" the Where?"), prompt.text());
        assertEquals(List.of("prompt: kept the last 50 of " + all.length + " tokens (max length 60 − 10 new tokens)"),
                prompt.truncations());
        assertTrue(prompt.truncated());
    }

    @Test
    void aBuilderSurvivesJavaSerialisation() throws Exception {
        PromptOptions options = PromptOptions.defaults().withTemplate("{question}\\n{context} ({title})")
                .withCut(ContextCut.TAIL, 5);
        PromptBuilder builder = PromptBuilder.create(options);
        PromptBuilder copy = roundTrip(builder);
        Map<String, String> row = row("one two three four five six seven", "Count?");
        row.put("title", "Numbers");
        assertEquals(builder.build(row, null), copy.build(row, null));
        assertEquals("Count?\n three four five six seven (Numbers)", copy.build(row, null).text());
        assertEquals(builder.requiredFields(), copy.requiredFields());
    }

    /**
     * Every row of the shared SQuAD 2.0 sample, every task template and strategy: a prompt within budget, the
     * question in it, the document read once per reading.
     */
    @Test
    void everySampleRowBuildsWithEveryTaskAndStrategy() throws IOException {
        List<JsonNode> rows = sampleRows();
        assertEquals(1160, rows.size());
        for (Task task : Task.values()) {
            for (PromptStrategy strategy : List.of(PromptStrategy.DEFAULT, PromptStrategy.TWICE,
                    PromptStrategy.parse("repeat:3"))) {
                PromptBuilder builder = PromptBuilder.create(PromptOptions.defaults().withTask(task)
                        .withStrategy(strategy));
                for (JsonNode r : rows) {
                    // A marker at the document's start shows how many times the prompt reads it.
                    String context = "@DOC@ " + r.get("context").asText();
                    PreparedPrompt prompt = builder.build(row(context, r.get("question").asText()), null);
                    String where = task.label() + "/" + strategy.label() + " " + r.get("id").asText();
                    assertTrue(prompt.ids().length > 0 && prompt.ids().length <= 2000, where);
                    assertEquals(List.of(), prompt.truncations(), where);
                    assertEquals(strategy.readings(), occurrences(prompt.text(), "@DOC@"), where);
                    // FDA and SWDE capitalise the question's first letter.
                    assertTrue(prompt.text().contains(r.get("question").asText().strip().substring(1)), where);
                }
            }
        }
    }

    /** The around-answer window keeps the gold answer on every answerable sample row; unanswerable rows fail. */
    @Test
    void aroundAnswerKeepsTheAnswerOnTheSample() throws IOException {
        PromptBuilder builder = PromptBuilder.create(PromptOptions.defaults().withTask(Task.SQUAD)
                .withStrategy(PromptStrategy.TWICE).withCut(ContextCut.AROUND_ANSWER, 64));
        int cut = 0;
        int failed = 0;
        for (JsonNode r : sampleRows()) {
            List<String> golds = new ArrayList<>();
            r.get("answers").forEach(a -> golds.add(a.asText()));
            Map<String, String> fields = row(r.get("context").asText(), r.get("question").asText());
            if (golds.isEmpty() || golds.get(0).codePointCount(0, golds.get(0).length()) <= 1) {
                assertThrows(PromptException.class, () -> builder.build(fields, golds), r.get("id").asText());
                failed++;
                continue;
            }
            PreparedPrompt prompt = builder.build(fields, golds);
            String answer = HfDecodeCleanup.apply(golds.get(0));
            if (TOKENIZER.countTokens(answer) < 24) {
                assertEquals(1.0, AnswerMetrics.contains(prompt.text(), List.of(answer)), r.get("id").asText());
            }
            if (!prompt.truncations().isEmpty()) {
                cut++;
            }
        }
        assertTrue(failed >= 579, "unanswerable rows fail: " + failed);
        assertTrue(cut > 400, "most paragraphs exceed 64 tokens: " + cut);
    }

    private static List<JsonNode> sampleRows() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(
                GoldenData.shared().resolve("data/squad-v2-dev-sample.jsonl"))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                rows.add(mapper.readTree(line));
            }
        }
        return rows;
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }

    private static void assertRowError(PromptBuilder builder, Map<String, String> row, String message) {
        PromptException e = assertThrows(PromptException.class, () -> builder.build(row, List.of()));
        assertEquals(message, e.getMessage());
    }

    private static PromptBuilder roundTrip(PromptBuilder builder) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(builder);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (PromptBuilder) in.readObject();
        }
    }
}
