package io.readtwice.text;

import com.fasterxml.jackson.databind.JsonNode;
import io.readtwice.testing.GoldenData;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Gpt2TokenizerTest {
    private static final Gpt2Tokenizer TOKENIZER = Gpt2Tokenizer.shared();

    /** Every case of golden/tokenizer/gpt2-cases.json: exact ids, byte-exact round trip. */
    @TestFactory
    List<DynamicTest> goldenCases() throws IOException {
        JsonNode root = GoldenData.readJson(GoldenData.shared().resolve("golden/tokenizer/gpt2-cases.json"));
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            String text = c.get("text").asText();
            int[] ids = GoldenData.ints(c.get("ids"));
            String decoded = c.get("decoded").asText();
            int bytes = c.get("utf8_bytes").asInt();
            String name = "case " + c.get("id").asInt() + ": " + abbreviate(text);
            tests.add(DynamicTest.dynamicTest(name, () -> {
                assertArrayEquals(ids, TOKENIZER.encode(text), "ids");
                assertEquals(ids.length, TOKENIZER.countTokens(text), "countTokens");
                assertEquals(decoded, TOKENIZER.decode(ids), "decode");
                assertEquals(text, TOKENIZER.decode(ids), "round trip");
                assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), TOKENIZER.decodeBytes(ids), "decodeBytes");
                assertEquals(bytes, TOKENIZER.decodeBytes(ids).length, "utf8_bytes");
            }));
        }
        assertEquals(187, tests.size(), "number of golden cases");
        return tests;
    }

    @Test
    void documentedExamples() {
        assertArrayEquals(new int[] {15496, 995}, TOKENIZER.encode("Hello world"));
        assertArrayEquals(new int[] {18435, 995}, TOKENIZER.encode(" Hello world"));
        assertArrayEquals(new int[] {1026, 338, 220, 220, 38980, 197, 448, 198, 198, 3605, 3951},
                TOKENIZER.encode("It's   spaced\tout\n\nnew lines"));
        assertArrayEquals(new int[0], TOKENIZER.encode(""));
        assertEquals("", TOKENIZER.decode(new int[0]));
    }

    @Test
    void endOfTextIsOrdinaryTextWhenEncodedButDecodesFromItsId() {
        assertArrayEquals(new int[] {27, 91, 437, 1659, 5239, 91, 29}, TOKENIZER.encode("<|endoftext|>"));
        assertEquals("<|endoftext|>", TOKENIZER.decode(new int[] {Gpt2Tokenizer.END_OF_TEXT}));
    }

    @Test
    void idsOutsideTheVocabularyDecodeToNothing() {
        int[] hello = TOKENIZER.encode("Hello world");
        for (int id = Gpt2Tokenizer.VOCAB_SIZE; id < Gpt2Tokenizer.PADDED_VOCAB_SIZE; id++) {
            assertEquals("Hello world", TOKENIZER.decode(new int[] {hello[0], id, hello[1]}), "padded row " + id);
        }
        assertEquals("", TOKENIZER.decode(new int[] {-1, 100_000, Integer.MAX_VALUE, Integer.MIN_VALUE}));
        assertEquals(0, TOKENIZER.decodeBytes(new int[] {50257, 50263}).length);
    }

    @Test
    void prefixEndingInsideACharacterDecodesWithReplacement() {
        String text = "日本語 🙂";
        int[] ids = TOKENIZER.encode(text);
        byte[] all = text.getBytes(StandardCharsets.UTF_8);
        boolean sawPartial = false;
        for (int n = 0; n <= ids.length; n++) {
            int[] prefix = Arrays.copyOf(ids, n);
            byte[] bytes = TOKENIZER.decodeBytes(prefix);
            assertArrayEquals(Arrays.copyOf(all, bytes.length), bytes, "prefix bytes of " + n + " tokens");
            String s = TOKENIZER.decode(prefix);
            sawPartial |= s.indexOf('\uFFFD') >= 0;
        }
        assertTrue(sawPartial, "some prefix should end inside a multi-byte character");
        assertEquals(text, TOKENIZER.decode(ids));
    }

    @Test
    void sharedInstanceIsThreadSafe() throws Exception {
        assertSame(TOKENIZER, Gpt2Tokenizer.shared());
        String text = "naïve café — 日本語 🙂 It's   spaced\tout";
        int[] expected = TOKENIZER.encode(text);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        int[] ids = Gpt2Tokenizer.shared().encode(text);
                        if (!Arrays.equals(expected, ids) || !text.equals(Gpt2Tokenizer.shared().decode(ids))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> r : results) {
                assertTrue(r.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }


    private static String abbreviate(String text) {
        String oneLine = text.replace("\n", "\\n").replace("\t", "\\t");
        return oneLine.length() <= 40 ? oneLine : oneLine.substring(0, 40) + "…";
    }


    /** A run the pre-tokenizer keeps in one piece is limited, so that no row can make BPE take minutes or all memory. */
    @Test
    void overlongPiecesAreRefusedAndEverythingElseIsEncoded() {
        Gpt2Tokenizer t = Gpt2Tokenizer.shared();
        int max = Gpt2Tokenizer.MAX_PIECE_CHARS;
        assertTrue(t.encode("a".repeat(max)).length > 0);
        for (String run : List.of("a".repeat(max + 1), "7".repeat(max + 1), "\u4e00".repeat(max + 1),
                "!".repeat(max + 1), "x ".repeat(max) + "b".repeat(max + 1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.encode(run));
            assertTrue(e.getMessage().contains("without a space"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> t.countTokens(run));
        }
        // long text made of ordinary pieces is fine: words, and whitespace runs of any length
        assertEquals(max + 1, t.encode("ab ".repeat(max)).length, "'ab', then ' ab' each time, then ' '");
        assertTrue(t.encode(" ".repeat(3 * max)).length > 0);
    }
}
