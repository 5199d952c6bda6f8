package io.readtwice.model.gpu;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bookkeeping of chunked prefill: what each chunk hands the kernels, and that the chunks cover every token once. */
class PrefillChunkTest {
    private static List<int[]> prompts(int... lengths) {
        List<int[]> prompts = new ArrayList<>();
        int token = 0;
        for (int length : lengths) {
            int[] p = new int[length];
            for (int i = 0; i < length; i++) {
                p[i] = token++;          // every token of the batch distinct: where it lands is visible
            }
            prompts.add(p);
        }
        return prompts;
    }

    @Test
    void aBatchThatFitsIsOneChunkLaidOutLikeTheWholePacking() {
        List<int[]> prompts = prompts(5, 1, 20);
        List<PrefillChunk> chunks = PrefillChunk.plan(prompts, new int[] {2, 0, 0}, 4, 1000);
        assertEquals(1, chunks.size());
        PrefillChunk c = chunks.get(0);
        assertArrayEquals(new int[] {0, 5, 6, 26}, c.seqStart());
        assertArrayEquals(new int[] {0, 0, 0}, c.startPositions());
        assertArrayEquals(new int[] {0, 4, 5, 9}, c.encStart(), "min(M, length) encoder rows each");
        assertEquals(9, c.encoderRows());
        assertArrayEquals(new int[] {2, 0, 0}, c.maskedKeys());
        assertArrayEquals(new int[] {4, 5, 25}, c.lastRows());
        for (int r = 0; r < 26; r++) {
            assertEquals(r, c.packedRows()[r]);
            assertEquals(r, c.tokens()[r]);
        }
    }

    @Test
    void chunksCarryEachSequenceFromWhereItStoppedAndCoverEveryTokenOnce() {
        List<int[]> prompts = prompts(300, 7, 131, 64);
        int encLength = 16;
        int[] masked = {0, 3, 0, 0};
        List<PrefillChunk> chunks = PrefillChunk.plan(prompts, masked, encLength, 128);
        assertTrue(chunks.size() > 2, "a small budget makes several chunks");
        int total = 0;
        for (int[] p : prompts) {
            total += p.length;
        }
        int[] seen = new int[total];
        int[] read = new int[prompts.size()];
        int[] lastSeenIn = {-1, -1, -1, -1};
        for (int ci = 0; ci < chunks.size(); ci++) {
            PrefillChunk c = chunks.get(ci);
            assertTrue(c.rows() <= 128, "chunk " + ci + " holds " + c.rows());
            assertEquals(prompts.size(), c.sequences(), "every sequence is in every chunk, with 0 rows or more");
            assertEquals(c.rows(), c.seqStart()[prompts.size()]);
            if (ci == 0) {
                assertNotNull(c.encStart(), "the JRT prefix is read in the first chunk");
                assertArrayEquals(new int[] {0, 16, 23, 39, 55}, c.encStart());
                assertArrayEquals(masked, c.maskedKeys());
            } else {
                assertNull(c.encStart(), "no encoder rows after the first chunk");
            }
            for (int s = 0; s < prompts.size(); s++) {
                assertEquals(read[s], c.startPositions()[s], "sequence " + s + " resumes where it stopped");
                int n = c.seqStart()[s + 1] - c.seqStart()[s];
                for (int i = 0; i < n; i++) {
                    int row = c.seqStart()[s] + i;
                    assertEquals(prompts.get(s)[read[s] + i], c.tokens()[row]);
                    seen[c.packedRows()[row]]++;
                    assertEquals(c.tokens()[row], c.packedRows()[row], "packed row of the token");
                }
                read[s] += n;
                if (c.lastRows()[s] >= 0) {
                    assertEquals(-1, lastSeenIn[s], "one chunk holds a sequence's last token");
                    int[] p = prompts.get(s);
                    assertEquals(p[p.length - 1], c.tokens()[c.lastRows()[s]], "the row of the last token");
                    lastSeenIn[s] = ci;
                }
            }
        }
        for (int s = 0; s < prompts.size(); s++) {
            assertEquals(prompts.get(s).length, read[s]);
            assertTrue(lastSeenIn[s] >= 0);
        }
        for (int r = 0; r < total; r++) {
            assertEquals(1, seen[r], "row " + r);
        }
    }

    @Test
    void maskedKeysCountFromTheChunksFirstRow() {
        // no encoder (Based-like): a sequence may read its first tokens after the first chunk
        List<PrefillChunk> chunks = PrefillChunk.plan(prompts(200), new int[] {70}, 0, 64);
        assertEquals(4, chunks.size());
        assertArrayEquals(new int[] {64}, chunks.get(0).maskedKeys(), "all 64 rows of the first chunk masked");
        assertArrayEquals(new int[] {6}, chunks.get(1).maskedKeys());
        assertArrayEquals(new int[] {0}, chunks.get(2).maskedKeys());
        assertArrayEquals(new int[] {128}, chunks.get(2).startPositions());
    }

    @Test
    void prefixesThatExceedAChunkOrAnEmptyPromptAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PrefillChunk.plan(prompts(40, 40), null, 32, 60));
        assertThrows(IllegalArgumentException.class,
                () -> PrefillChunk.plan(List.of(new int[] {1}, new int[0]), null, 0, 60));
    }
}
