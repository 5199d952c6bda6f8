package io.readtwice.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Smoke test of the GPU run's PyTorch baseline on the CPU (scripts/gpu/torch_transformer_bench.py --device cpu
 * --tiny, about a second after torch's import) and of the ratio table it feeds (bench_ratio.py): the JSON lines
 * carry the field names of {@code readtwice bench --json}. Skipped where python3-torch is missing (not on CI).
 */
class TorchBaselineScriptTest {
    private static final Path SCRIPTS = Path.of("..", "scripts", "gpu").toAbsolutePath().normalize();

    @Test
    void tinyCpuRunWritesBenchFieldsAndTheRatioTableReadsThem() throws Exception {
        PythonTorch.assume();
        PythonTorch.Result r = PythonTorch.run(List.of(SCRIPTS.resolve("torch_transformer_bench.py").toString(),
                "--device", "cpu", "--tiny"), 120);
        assertEquals(0, r.exit(), r.output());
        ObjectMapper json = new ObjectMapper();
        List<String> lines = r.output().lines().filter(l -> l.startsWith("{")).toList();
        assertEquals(2, lines.size(), r.output());
        for (String line : lines) {
            JsonNode n = json.readTree(line);
            assertEquals("tiny", n.get("model").asText());
            assertEquals(2, n.get("batch").asInt());
            for (String field : List.of("prompt_tokens", "prefill_seconds", "prefill_tokens_per_s",
                    "decode_ms_per_step", "decode_tokens_per_s")) {
                assertTrue(n.path(field).isNumber() && n.get(field).asDouble() > 0, field + " in " + line);
            }
        }
        Path file = Files.createTempFile("bench-torch-", ".jsonl");
        try {
            Files.writeString(file, String.join("\n", lines) + "\n");
            PythonTorch.Result table = PythonTorch.run(List.of(SCRIPTS.resolve("bench_ratio.py").toString(),
                    file.toString(), file.toString()), 60);
            assertEquals(0, table.exit(), table.output());
            List<String> rows = table.output().lines().filter(l -> l.startsWith("tiny")).toList();
            assertEquals(2, rows.size(), table.output());
            assertTrue(rows.stream().allMatch(l -> l.contains(" 1.00 ")), table.output());
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
