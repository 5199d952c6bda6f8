package io.readtwice.text;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The GPT-2 byte-level BPE (model-spec §6.1): jtokkit's {@code r50k_base}, 50257 tokens, {@code <|endoftext|>} = 50256.
 *
 * <p>{@link #encode} treats its input as ordinary text: no BOS/EOS is added and {@code <|endoftext|>} in the text is
 * encoded as the seven ordinary tokens {@code <|endoftext|>} spells, exactly as the reference harness does
 * ({@code add_special_tokens=False}; see {@code golden/tokenizer/gpt2-cases.json}). Append 50256 yourself where an
 * end-of-text token is wanted.
 *
 * <p>{@link #decodeBytes} concatenates each token's bytes; {@link #decode} turns them into a string, replacing
 * malformed UTF-8 with U+FFFD (a prefix of the generated tokens may end inside a multi-byte character; decode the
 * whole sequence again, not piece by piece, to get the character back). Ids outside the vocabulary decode to nothing:
 * the released models' embedding and logits have {@link #PADDED_VOCAB_SIZE} rows (50257 rounded up to a multiple
 * of 8), and greedy decoding takes the argmax over all of them (model-spec §6.2), so a model can emit 50257..50263,
 * which have no text. Throwing there would fail a whole batch over one meaningless token.
 *
 * <p>Immutable and thread-safe; use {@link #shared()}.
 */
public final class Gpt2Tokenizer {
    /** Tokens of the GPT-2 vocabulary. */
    public static final int VOCAB_SIZE = 50257;
    /** The only special token; decodes to the text {@code <|endoftext|>}. */
    public static final int END_OF_TEXT = 50256;
    /** Rows of the released models' embedding: {@link #VOCAB_SIZE} padded to a multiple of 8. */
    public static final int PADDED_VOCAB_SIZE = 50264;

    private static final byte[] NO_BYTES = new byte[0];

    private final Encoding encoding;
    /** The bytes of every token id, indexed by id; built once so decoding never throws and needs no lookups. */
    private final byte[][] tokenBytes;

    private Gpt2Tokenizer() {
        encoding = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        tokenBytes = new byte[VOCAB_SIZE][];
        IntArrayList one = new IntArrayList(1);
        one.add(0);
        for (int id = 0; id < VOCAB_SIZE; id++) {
            one.set(0, id);
            tokenBytes[id] = encoding.decodeBytes(one);
        }
    }

    /** The process-wide instance, created on first use (loading the vocabulary takes about 0.1 s). */
    public static Gpt2Tokenizer shared() {
        return Holder.INSTANCE;
    }

    private static final class Holder {
        static final Gpt2Tokenizer INSTANCE = new Gpt2Tokenizer();
    }

    /**
     * GPT-2 ids of {@code text}, as ordinary text: no BOS/EOS, special-token strings not recognised.
     *
     * @throws IllegalArgumentException if the text has a run of more than {@link #MAX_PIECE_CHARS} characters that
     *                                  the pre-tokenizer keeps in one piece (see {@link #checkPieces})
     */
    public int[] encode(String text) {
        checkPieces(text);
        return encoding.encodeOrdinary(text).toArray();
    }

    /** Number of tokens {@link #encode} would return. */
    public int countTokens(String text) {
        checkPieces(text);
        return encoding.countTokensOrdinary(text);
    }

    /**
     * The most characters of one pre-tokenizer piece. GPT-2's pre-tokenizer keeps a run of letters, of digits or of
     * other non-space characters in one piece, and byte-pair merging of one piece costs far more than linear time
     * and memory: 10 million letters without a space take minutes or run a 3 GB heap out of memory, while 100,000
     * take 0.15 s. No natural text has such a run (even unspaced scripts have punctuation), so longer runs are
     * refused rather than tokenized differently from the reference.
     */
    public static final int MAX_PIECE_CHARS = 100_000;

    /** Refuses text with a letter, digit or symbol run longer than {@link #MAX_PIECE_CHARS}; one linear scan. */
    static void checkPieces(String text) {
        if (text.length() <= MAX_PIECE_CHARS) {
            return;
        }
        int runClass = -1;
        int run = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int cls = pieceClass(cp);
            run = cls == runClass && cls != 0 ? run + Character.charCount(cp) : Character.charCount(cp);
            runClass = cls;
            if (run > MAX_PIECE_CHARS && cls != 0) {
                throw new IllegalArgumentException("the text has a run of more than " + MAX_PIECE_CHARS + " "
                        + (cls == 1 ? "letters" : cls == 2 ? "digits" : "symbols") + " without a space (at character "
                        + (i - MAX_PIECE_CHARS) + "); GPT-2 byte-pair encoding of one such piece would take minutes "
                        + "or run out of memory, so it is refused");
            }
            i += Character.charCount(cp);
        }
    }

    /** The pre-tokenizer's classes: 0 whitespace, 1 letters ({@code \p{L}}), 2 numbers ({@code \p{N}}), 3 other. */
    private static int pieceClass(int cp) {
        if (Character.isWhitespace(cp)) {
            return 0;
        }
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> 1;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> 2;
            default -> 3;
        };
    }

    /** The UTF-8 bytes of the tokens, concatenated; ids outside the vocabulary contribute nothing. */
    public byte[] decodeBytes(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            out.writeBytes(bytesOf(id));
        }
        return out.toByteArray();
    }

    /**
     * The text of the tokens: {@link #decodeBytes} read as UTF-8, malformed or truncated sequences replaced by
     * U+FFFD. Byte-exact round trip: {@code decode(encode(s)).equals(s)} for every string without lone surrogates.
     */
    public String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    /** True for ids that have text (0..50256). */
    public static boolean isKnown(int id) {
        return id >= 0 && id < VOCAB_SIZE;
    }

    private byte[] bytesOf(int id) {
        return isKnown(id) ? tokenBytes[id] : NO_BYTES;
    }
}
