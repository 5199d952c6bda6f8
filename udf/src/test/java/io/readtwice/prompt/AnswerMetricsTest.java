package io.readtwice.prompt;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** contains (the paper's), SQuAD exact match and F1, with Unicode and regex-special answers. */
class AnswerMetricsTest {
    private static final double EPS = 1e-12;

    @Test
    void containsIsACaseInsensitiveLiteralSubstringMaxedOverGolds() {
        assertEquals(1, AnswerMetrics.contains("It is PARIS, France", List.of("paris")));
        assertEquals(0, AnswerMetrics.contains("It is Lyon", List.of("paris")));
        assertEquals(1, AnswerMetrics.contains("It is Lyon", List.of("paris", "lyon")));
        assertEquals(0, AnswerMetrics.contains("", List.of("paris")));
    }

    @Test
    void regexSpecialCharactersAreLiterals() {
        assertEquals(1, AnswerMetrics.contains("costs $5.00 (approx.)", List.of("$5.00 (approx.)")));
        assertEquals(0, AnswerMetrics.contains("costs $5x00", List.of("$5.00")));
        assertEquals(1, AnswerMetrics.contains("a+b=c", List.of("A+B")));
        assertEquals(0, AnswerMetrics.contains("aab", List.of("a+b")));
        assertEquals(1, AnswerMetrics.contains("path \\Qx\\E end", List.of("\\Qx\\E")));
        assertEquals(1, AnswerMetrics.contains("[1] ^start|end$ *", List.of("^start|end$")));
        assertEquals(0, AnswerMetrics.contains("end", List.of("^start|end$")));
    }

    @Test
    void containsFoldsUnicodeCaseCharacterByCharacter() {
        assertEquals(1, AnswerMetrics.contains("NORÐMAÐR and ÉCOLE", List.of("norðmaðr", "école")));
        assertEquals(1, AnswerMetrics.contains("ΣΟΦΊΑ", List.of("σοφία")));
        assertEquals(1, AnswerMetrics.contains("emoji 🙂 here", List.of("🙂")));
        // Python's re.IGNORECASE does not expand ß to SS; neither does this.
        assertEquals(0, AnswerMetrics.contains("STRASSE", List.of("straße")));
    }

    @Test
    void anEmptyGoldLabelIsContainedEverywhereAsInTheHarness() {
        assertEquals(1, AnswerMetrics.contains("anything", List.of("")));
    }

    @Test
    void noGoldsMeansTheRightAnswerIsEmpty() {
        assertEquals(1, AnswerMetrics.contains("  ", List.of()));
        assertEquals(0, AnswerMetrics.contains("Paris", List.of()));
        assertEquals(1, AnswerMetrics.exactMatch("", List.of()));
        assertEquals(1, AnswerMetrics.exactMatch("The.", List.of()), "normalises to nothing");
        assertEquals(0, AnswerMetrics.exactMatch("Paris", List.of()));
        assertEquals(1, AnswerMetrics.f1("", List.of()));
        assertEquals(0, AnswerMetrics.f1("Paris", List.of()));
        // Golds that normalise to nothing count as no gold (SQuAD 2.0).
        assertEquals(1, AnswerMetrics.exactMatch("", List.of("the", "!")));
    }

    @Test
    void exactMatchNormalisesLikeSquad() {
        assertEquals(1, AnswerMetrics.exactMatch("The  Eiffel-Tower!", List.of("eiffeltower")));
        assertEquals(1, AnswerMetrics.exactMatch("an apple", List.of("Apple")));
        assertEquals(0, AnswerMetrics.exactMatch("theory", List.of("ory")), "articles only as whole words");
        assertEquals(1, AnswerMetrics.exactMatch("Norðmaðr", List.of("norðmaðr")));
        assertEquals(0, AnswerMetrics.exactMatch("Paris", List.of("France")));
        assertEquals(1, AnswerMetrics.exactMatch("Paris", List.of("France", "paris.")));
        // Only ASCII punctuation is removed: an en dash and guillemets stay.
        assertEquals(0, AnswerMetrics.exactMatch("1066–1204", List.of("10661204")));
        assertEquals(1, AnswerMetrics.exactMatch("«oui»", List.of("«OUI»")));
    }

    @Test
    void f1CountsTokenOverlapAsAMultiset() {
        // pred "paris france", gold "paris": P = 1/2, R = 1, F1 = 2/3.
        assertEquals(2.0 / 3, AnswerMetrics.f1("Paris, France", List.of("Paris")), EPS);
        // pred "a a a b" → "b" after article removal; use non-articles: pred "x x y", gold "x y y": common = 2.
        assertEquals(2.0 / 3, AnswerMetrics.f1("x x y", List.of("x y y")), EPS);
        assertEquals(0, AnswerMetrics.f1("London", List.of("Paris")), EPS);
        assertEquals(1, AnswerMetrics.f1("the Paris", List.of("Paris")), EPS);
        assertEquals(1, AnswerMetrics.f1("Paris", List.of("London", "paris")), EPS);
        assertEquals(0, AnswerMetrics.f1("", List.of("Paris")), EPS);
    }

    @Test
    void regexSpecialAndUnicodeAnswersScoreUnderSquadToo() {
        assertEquals(1, AnswerMetrics.exactMatch("$5.00 (approx.)", List.of("500 approx")));
        assertEquals(2.0 / 3, AnswerMetrics.f1("c++ rocks", List.of("C")), EPS);
        assertEquals(1, AnswerMetrics.f1("日本 語", List.of("日本 語")), EPS);
    }
}
