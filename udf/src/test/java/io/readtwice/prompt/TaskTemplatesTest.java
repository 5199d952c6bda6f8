package io.readtwice.prompt;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The paper's templates (model-spec §7), one nested class per task, each built from the harness's rules: default,
 * twice, repeat:3, and the edge cases the rules exist for (text already ending with the key, trailing dots, repeated
 * trailing questions). Expected strings are written out by hand from the rules.
 */
class TaskTemplatesTest {

    static String prompt(Task task, PromptStrategy strategy, Map<String, String> fields) {
        PromptBuilder builder = PromptBuilder.create(PromptOptions.defaults().withTask(task).withStrategy(strategy));
        return builder.build(fields, List.of()).text();
    }

    static Map<String, String> row(String context, String question) {
        Map<String, String> row = new HashMap<>();
        row.put(PromptFields.CONTEXT, context);
        row.put(PromptFields.QUESTION, question);
        return row;
    }

    static Map<String, String> row(String context, String question, String extraName, String extraValue) {
        Map<String, String> row = row(context, question);
        row.put(extraName, extraValue);
        return row;
    }

    static final PromptStrategy DEFAULT = PromptStrategy.DEFAULT;
    static final PromptStrategy TWICE = PromptStrategy.TWICE;
    static final PromptStrategy THREE = PromptStrategy.parse("repeat:3");

    @Nested
    class Fda {
        @Test
        void defaultAppendsAFullStopAndTheCapitalisedKey() {
            assertEquals("Device X is a catheter. Device name:",
                    prompt(Task.FDA, DEFAULT, row("Device X is a catheter", "device name")));
        }

        @Test
        void twiceLeadsWithInformationAbout() {
            assertEquals("Information about Device name. Device X is a catheter.\nDevice X is a catheter. Device name:",
                    prompt(Task.FDA, TWICE, row("Device X is a catheter", "device name")));
        }

        @Test
        void repeatThreeReadsTheDocumentThreeTimes() {
            assertEquals("Information about Device name. Device X.\nDevice X.\nDevice X. Device name:",
                    prompt(Task.FDA, THREE, row("Device X", "device name")));
        }

        @Test
        void aTextAlreadyEndingWithTheKeyLosesItCaseInsensitivelyAndRepeatedly() {
            assertEquals("Applicant is ACME. Applicant:",
                    prompt(Task.FDA, DEFAULT, row("Applicant is ACME.\napplicant:APPLICANT:", "applicant")));
        }

        @Test
        void trailingDotsAndNewlinesCollapseToOneFullStop() {
            assertEquals("Made in 2001. Year:", prompt(Task.FDA, DEFAULT, row("\nMade in 2001...\n", "year")));
        }

        @Test
        void surroundingSpacesAreNotStrippedByFda() {
            // FDA strips only "\n" then "."; a trailing space stays, then the full stop is added after it.
            assertEquals("Made in 2001 . Year:", prompt(Task.FDA, DEFAULT, row("Made in 2001 ", "year")));
        }

        @Test
        void aKeyStartingWithAColonLosesItInTheLeadOnly() {
            // The lead is (K + ":").strip(":"), as the harness writes it.
            assertEquals("Information about x. Doc.\nDoc. :x:", prompt(Task.FDA, TWICE, row("Doc", ":x")));
        }
    }

    @Nested
    class Swde {
        @Test
        void defaultCutsTheSummarySectionAndStripsInTheHarnessOrder() {
            String text = "\n  Title: Up (2009) \n Director: Pete Docter.. \nSummary of information above... director:";
            assertEquals("Title: Up (2009) \n Director: Pete Docter. Director:",
                    prompt(Task.SWDE, DEFAULT, row(text, "director")));
        }

        @Test
        void twiceStripsDotsBeforeWhitespace() {
            // T2 = text.strip("\n").strip(".").strip().strip("\n").strip(): a dot before trailing spaces survives.
            assertEquals("Information about Year. Released 2009.\nReleased 2009. Year:",
                    prompt(Task.SWDE, TWICE, row("Released 2009.  ", "year")));
            assertEquals("Information about Year. Released 2009.\nReleased 2009. Year:",
                    prompt(Task.SWDE, TWICE, row("Released 2009", "year")));
        }

        @Test
        void aTextEndingWithTheKeyLosesIt() {
            assertEquals("Up. Director:", prompt(Task.SWDE, DEFAULT, row("Up. Director:", "director")));
        }

        @Test
        void theKeyIsRemovedOnlyWhenItEndsTheTextExactly() {
            // "director: " (trailing space) does not end with "director:", so nothing is removed before stripping.
            assertEquals("Up. director:. Director:", prompt(Task.SWDE, DEFAULT, row("Up. director: ", "director")));
        }

        @Test
        void onlyTheFirstSummaryMarkerMatters() {
            String text = "A Summary of information above... B Summary of information above... C";
            assertEquals("A. Key:", prompt(Task.SWDE, DEFAULT, row(text, "key")));
        }
    }

    @Nested
    class Squad {
        @Test
        void withTheHarnessTextTheDefaultIsTheStrippedText() {
            Map<String, String> row = row("Paris is big.", "Where?", PromptFields.SQUAD_TEXT,
                    "  Paris is big. The city is \n");
            assertEquals("Paris is big. The city is", prompt(Task.SQUAD, DEFAULT, row));
        }

        @Test
        void withTheHarnessTextTwiceLeadsWithTheRawQuestionAndTheContextBeforeQuestionColon() {
            Map<String, String> row = row("Paris is big. Question: where?", "Which city? ", PromptFields.SQUAD_TEXT,
                    "Paris is big. The city is");
            assertEquals("Which city?  Paris is big. \nParis is big. The city is", prompt(Task.SQUAD, TWICE, row));
        }

        @Test
        void withoutTheHarnessTextACompletionPromptIsBuilt() {
            assertEquals("Paris is big.\nQuestion: Which city?\nAnswer:",
                    prompt(Task.SQUAD, DEFAULT, row(" Paris is big. ", " Which city?")));
            assertEquals("Which city? Paris is big.\nParis is big.\nQuestion: Which city?\nAnswer:",
                    prompt(Task.SQUAD, TWICE, row("Paris is big.", "Which city?")));
            assertEquals("Which city? Paris.\nParis.\nParis.\nQuestion: Which city?\nAnswer:",
                    prompt(Task.SQUAD, THREE, row("Paris.", "Which city?")));
        }

        @Test
        void aTextColumnThatIsTheContextItselfIsNoCompletionPrompt() {
            assertEquals("Paris is big.\nQuestion: Which city?\nAnswer:", prompt(Task.SQUAD, DEFAULT,
                    row("Paris is big.", "Which city?", PromptFields.SQUAD_TEXT, "Paris is big.")));
        }
    }

    @Nested
    class Drop {
        @Test
        void defaultRemovesTheTrailingQuestionRepeatedlyAndIgnoringCase() {
            String context = "The Bears won 21-7. How many points?HOW MANY POINTS?";
            assertEquals("The Bears won 21-7. How many points?",
                    prompt(Task.DROP, DEFAULT, row(context, "How many points?")));
        }

        @Test
        void aSpaceBetweenRepeatedQuestionsStopsTheRemoval() {
            // After one removal the text ends with a space, so it no longer ends with the question.
            String context = "The Bears won 21-7. How many points? HOW MANY POINTS?";
            assertEquals("The Bears won 21-7. How many points?. How many points?",
                    prompt(Task.DROP, DEFAULT, row(context, "How many points?")));
        }

        @Test
        void defaultStripsTrailingDotsBeforeTheFullStop() {
            assertEquals("The Bears won. Points:", prompt(Task.DROP, DEFAULT, row(" The Bears won... ", " Points: ")));
        }

        @Test
        void twiceLeadsWithTheOriginalQuestionWithoutColons() {
            Map<String, String> row = row("The Bears won.", "The points scored were", PromptFields.ORIG_QUESTION,
                    "How many points?:");
            assertEquals("How many points? The Bears won.\nThe Bears won. The points scored were",
                    prompt(Task.DROP, TWICE, row));
        }

        @Test
        void twiceWithoutAnOriginalQuestionLeadsWithTheQuestion() {
            assertEquals("Who won? The Bears won.\nThe Bears won. Who won?",
                    prompt(Task.DROP, TWICE, row("The Bears won", "Who won?")));
        }

        @Test
        void trailingSpaceBeforeTheDotsIsStrippedInTwice() {
            // C = c.strip().strip(".").strip() + "."
            assertEquals("Q? Won.\nWon. Q?", prompt(Task.DROP, TWICE, row("Won .. ", "Q?")));
            assertEquals("Won . Q?", prompt(Task.DROP, DEFAULT, row("Won .. ", "Q?")));
        }
    }

    @Nested
    class TriviaQa {
        @Test
        void defaultDeletesTheMarkers() {
            assertEquals("Title  Paris is the capital. Capital of France?",
                    prompt(Task.TRIVIAQA, DEFAULT,
                            row("[DOC] [TLE] Title [PAR] Paris is the capital.", "Capital of France?")));
        }

        @Test
        void markersAreDeletedInOnePass() {
            // "[PA[DOC]R]" loses its inner marker; the "[PAR]" this forms stays, as with Python's re.sub.
            assertEquals("[PAR] text. Q", prompt(Task.TRIVIAQA, DEFAULT, row("[PA[DOC]R] text", "Q")));
        }

        @Test
        void twiceLeadsWithTheUnstrippedOriginalQuestion() {
            Map<String, String> row = row("Paris. capital?", " capital? ", PromptFields.ORIG_QUESTION,
                    "What is the capital?: ");
            assertEquals("What is the capital?:  Paris.\nParis. capital?", prompt(Task.TRIVIAQA, TWICE, row));
        }
    }

    @Nested
    class Nq {
        @Test
        void defaultRemovesATrailingQuestionOnceAndCaseSensitively() {
            assertEquals("Text who wrote it. who wrote it",
                    prompt(Task.NQ, DEFAULT, row("Text who wrote it who wrote it", "who wrote it")));
            assertEquals("Text WHO WROTE IT. who wrote it",
                    prompt(Task.NQ, DEFAULT, row("Text WHO WROTE IT", "who wrote it")));
        }

        @Test
        void twiceRemovesItRepeatedlyIgnoringCaseAsDrop() {
            Map<String, String> row = row("Text. who wrote itWHO WROTE IT", "who wrote it",
                    PromptFields.ORIG_QUESTION, "who wrote it?:");
            assertEquals("who wrote it? Text.\nText. who wrote it", prompt(Task.NQ, TWICE, row));
        }
    }

    @Nested
    class Generic {
        @Test
        void defaultIsContextThenQuestion() {
            assertEquals("Paris is in France. Where is Paris?",
                    prompt(Task.GENERIC, DEFAULT, row(" Paris is in France. ", "Where is Paris? ")));
        }

        @Test
        void twiceIsQuestionContextNewlineContextQuestion() {
            assertEquals("Where is Paris? Paris is in France.\nParis is in France. Where is Paris?",
                    prompt(Task.GENERIC, TWICE, row("Paris is in France.", "Where is Paris?")));
        }

        @Test
        void repeatFourWritesTheDocumentFourTimes() {
            assertEquals("Q D\nD\nD\nD Q", prompt(Task.GENERIC, PromptStrategy.parse("repeat:4"), row("D", "Q")));
        }

        @Test
        void repeatOneIsDefault() {
            assertEquals(prompt(Task.GENERIC, DEFAULT, row("D", "Q")),
                    prompt(Task.GENERIC, PromptStrategy.parse("repeat:1"), row("D", "Q")));
        }
    }

    @Test
    void repeatTwoIsTwiceForEveryTask() {
        for (Task task : Task.values()) {
            Map<String, String> fields = row("Some document about things.. ", "thing");
            assertEquals(prompt(task, TWICE, fields), prompt(task, PromptStrategy.parse("repeat:2"), fields),
                    task.label());
        }
    }

    @Test
    void nonAsciiTextIsKeptAndKeysAreUpperCasedByCodePoint() {
        assertEquals("Straße in Zürich. Ünit:", prompt(Task.FDA, DEFAULT, row("Straße in Zürich", "ünit")));
        assertEquals("𝒳 was here. 𝒳yz:", prompt(Task.FDA, DEFAULT, row("𝒳 was here", "𝒳yz")));
        assertEquals("Weiß. SSize:", prompt(Task.FDA, DEFAULT, row("Weiß", "ßize")));
    }
}
