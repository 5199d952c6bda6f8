package io.readtwice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU bench on a golden checkpoint: one JSON object per configuration, in the order asked, every field. */
class BenchCommandTest {

    @Test
    void printsOneMeasuredObjectPerConfigurationInOrder() throws Exception {
        CliTestSupport.Run run = CliTestSupport.run("bench", "--model", CliTestSupport.golden("tiny-a").toString(),
                "--prompt-tokens", "8,24", "--batch", "1,3", "--new-tokens", "3", "--warmup", "1", "--repeats", "2",
                "--threads", "2", "--json", "--profile");
        assertEquals(0, run.exitCode(), run.err());
        ObjectMapper mapper = new ObjectMapper();
        List<JsonNode> results = new ArrayList<>();
        for (String line : run.out().strip().split("\n")) {
            results.add(mapper.readTree(line));
        }
        int[][] expected = {{8, 1}, {8, 3}, {24, 1}, {24, 3}};
        assertEquals(expected.length, results.size(), run.out());
        for (int i = 0; i < expected.length; i++) {
            JsonNode r = results.get(i);
            assertEquals(expected[i][0], r.get("prompt_tokens").asInt(), r.toString());
            assertEquals(expected[i][1], r.get("batch").asInt(), r.toString());
            assertEquals(2, r.get("repeats").asInt());
            for (String field : new String[] {"prefill_tokens_per_s", "decode_tokens_per_s", "gflops_per_s",
                    "buffer_bandwidth_gb_per_s",
                    "gemm_ceiling_gflops_per_s", "memory_bandwidth_gb_per_s", "decode_ms_per_step"}) {
                assertTrue(r.get(field).asDouble() > 0, field + " in " + r);
            }
            // Each configuration's profile covers its own runs: warm-up and two repeats, each with a prefill and
            // two decode steps, so the linear projections were timed for every configuration.
            assertTrue(r.get("profile_ms").get("linear").asDouble() > 0, r.toString());
        }
    }
}
