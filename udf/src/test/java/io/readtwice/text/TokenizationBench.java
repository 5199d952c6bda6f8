package io.readtwice.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.readtwice.prompt.PromptBuilder;
import io.readtwice.prompt.PromptFields;
import io.readtwice.prompt.PromptOptions;
import io.readtwice.prompt.PromptStrategy;
import io.readtwice.prompt.Task;
import io.readtwice.testing.GoldenData;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Batch tokenization throughput over the shared SQuAD 2.0 sample (1160 rows): one operation is the whole file, so
 * tokens/s = ops/s × the tokens per pass printed at setup. Run with {@code -t 1} and {@code -t 2} (threads): the
 * job tokenizes on every executor core, and the tokenizer is shared and thread-safe.
 *
 * <ul>
 *   <li>{@code encodeRows}: {@link Gpt2Tokenizer#encode} of {@code context + " " + question} per row.</li>
 *   <li>{@code buildTwicePrompts}: what the job does per row, {@link PromptBuilder#build} with the SQuAD twice
 *       template (template, tokenization, truncation check); the prompt reads the paragraph twice.</li>
 * </ul>
 * Command and results: docs/benchmarks.md, section Tokenization.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class TokenizationBench {
    private List<String> texts;
    private List<Map<String, String>> rows;
    private Gpt2Tokenizer tokenizer;
    private PromptBuilder twice;

    @Setup
    public void load() throws IOException {
        tokenizer = Gpt2Tokenizer.shared();
        twice = PromptBuilder.create(PromptOptions.defaults().withTask(Task.SQUAD)
                .withStrategy(PromptStrategy.TWICE));
        texts = new ArrayList<>();
        rows = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        try (BufferedReader reader = Files.newBufferedReader(
                GoldenData.shared().resolve("data/squad-v2-dev-sample.jsonl"))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                JsonNode row = mapper.readTree(line);
                String context = row.get("context").asText();
                String question = row.get("question").asText();
                texts.add(context + " " + question);
                rows.add(Map.of(PromptFields.CONTEXT, context, PromptFields.QUESTION, question));
            }
        }
        long encoded = encodeRows();
        long prompts = buildTwicePrompts();
        System.out.printf("%n[setup] %d rows; encodeRows: %d tokens per pass; buildTwicePrompts: %d tokens per pass%n",
                rows.size(), encoded, prompts);
    }

    @Benchmark
    public long encodeRows() {
        long tokens = 0;
        for (String text : texts) {
            tokens += tokenizer.encode(text).length;
        }
        return tokens;
    }

    @Benchmark
    public long buildTwicePrompts() {
        long tokens = 0;
        for (Map<String, String> row : rows) {
            tokens += twice.build(row, null).ids().length;
        }
        return tokens;
    }
}
