package io.readtwice.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import io.readtwice.testing.GoldenData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HfDecodeCleanupTest {

    @Test
    void reproducesEveryGoldenCleanedDecode() {
        JsonNode root = GoldenData.readJson(GoldenData.shared().resolve("golden/tokenizer/gpt2-cases.json"));
        int checked = 0;
        for (JsonNode c : root.get("cases")) {
            assertEquals(c.get("decoded_hf_cleanup").asText(), HfDecodeCleanup.apply(c.get("decoded").asText()),
                    "case " + c.get("id").asInt());
            checked++;
        }
        assertEquals(187, checked);
    }

    @Test
    void removesSpacesBeforePunctuationAndContractionsInOrder() {
        assertEquals("Hi, it's done. Isn't it? Yes! I'm sure they've left, we're 'ok'",
                HfDecodeCleanup.apply("Hi , it 's done . Is n't it ? Yes ! I 'm sure they 've left , we 're 'ok'"));
        assertEquals("a'b", HfDecodeCleanup.apply("a ' b"));
    }
}
