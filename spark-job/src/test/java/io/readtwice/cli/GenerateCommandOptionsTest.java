package io.readtwice.cli;

import io.readtwice.generate.JrtPadding;
import io.readtwice.model.BasedDecode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.readtwice.cli.CliTestSupport.golden;
import static io.readtwice.cli.CliTestSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerateCommandOptionsTest {

    /** Parses without running; returns the generate command's state. */
    private static GenerateCommand parse(String... generateArgs) {
        CommandLine cli = ReadTwiceCli.commandLine();
        String[] args = new String[generateArgs.length + 1];
        args[0] = "generate";
        System.arraycopy(generateArgs, 0, args, 1, generateArgs.length);
        cli.parseArgs(args);
        return cli.getSubcommands().get("generate").getCommand();
    }

    @Test
    void defaults() {
        GenerateCommand g = parse("--model", "m", "--prompt", "Hello");
        assertEquals(Path.of("m"), g.model);
        assertEquals("Hello", g.prompt.text);
        assertNull(g.prompt.ids);
        assertEquals(48, g.maxNewTokens);
        assertEquals(List.of("\n"), g.stopSequences());
        assertEquals(0, g.logprobs);
        assertNull(g.jrtPadding, "unset: left for JRT-RNN models, none otherwise");
        assertEquals(BasedDecode.CONSISTENT, g.basedDecode);
        assertFalse(g.json);
    }

    @Test
    void everyOption() {
        GenerateCommand g = parse("--model", "m", "--prompt-ids", "1,2,3", "--max-new-tokens", "8",
                "--stop", "X", "--stop", "\\n\\n", "--logprobs", "5", "--jrt-padding", "NONE",
                "--based-decode", "Reference", "--json");
        assertEquals("1,2,3", g.prompt.ids);
        assertEquals(8, g.maxNewTokens);
        assertEquals(List.of("X", "\n\n"), g.stopSequences());
        assertEquals(5, g.logprobs);
        assertEquals(JrtPadding.NONE, g.jrtPadding);
        assertEquals(BasedDecode.REFERENCE, g.basedDecode);
        assertTrue(g.json);
        assertEquals(JrtPadding.LEFT, parse("--model", "m", "--prompt", "x", "--jrt-padding", "left").jrtPadding);
    }

    @Test
    void stopNoneDisablesStopping() {
        assertEquals(List.of(), parse("--model", "m", "--prompt", "x", "--stop", "none").stopSequences());
        Exception e = assertThrows(CommandLine.ParameterException.class,
                () -> parse("--model", "m", "--prompt", "x", "--stop", "none", "--stop", "Q").stopSequences());
        assertTrue(e.getMessage().contains("none"), e.getMessage());
    }

    @Test
    void stopEscapes() {
        assertEquals("\n", StopSequences.unescape("\\n"));
        assertEquals("a\tb", StopSequences.unescape("a\\tb"));
        assertEquals("\\", StopSequences.unescape("\\\\"));
        assertEquals("\\n", StopSequences.unescape("\\\\n"), "an escaped backslash followed by n");
        assertEquals("\r\n", StopSequences.unescape("\\r\\n"));
        assertEquals("\\x", StopSequences.unescape("\\x"), "unknown escapes stay as typed");
        assertEquals("end\\", StopSequences.unescape("end\\"));
        assertEquals("\n", StopSequences.unescape("\n"), "a real newline passes through");
    }

    @Test
    void emptyStopIsAUsageError() {
        CliTestSupport.Run r = run("generate", "--model", "m", "--prompt", "x", "--stop", "");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("--stop"), r.toString());
    }

    @Test
    void promptOptionsAreExclusive() {
        CliTestSupport.Run both = run("generate", "--model", "m", "--prompt", "x", "--prompt-ids", "1");
        assertEquals(2, both.exitCode(), both.toString());
        assertTrue(both.err().contains("mutually exclusive"), both.toString());
        assertOneLine(both.err());

        CliTestSupport.Run neither = run("generate", "--model", "m");
        assertEquals(2, neither.exitCode(), neither.toString());
        assertTrue(neither.err().contains("--prompt"), neither.toString());
        assertOneLine(neither.err());
    }

    @Test
    void modelIsRequired() {
        CliTestSupport.Run r = run("generate", "--prompt", "x");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("--model"), r.toString());
    }

    @Test
    void badEnumValue() {
        CliTestSupport.Run r = run("generate", "--model", "m", "--prompt", "x", "--jrt-padding", "right");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("right") && r.err().contains("LEFT") && r.err().contains("NONE"), r.toString());
        assertOneLine(r.err());

        CliTestSupport.Run b = run("generate", "--model", "m", "--prompt", "x", "--based-decode", "fast");
        assertEquals(2, b.exitCode(), b.toString());
        assertTrue(b.err().contains("fast"), b.toString());
    }

    @Test
    void badNumbers() {
        assertEquals(2, run("generate", "--model", "m", "--prompt", "x", "--max-new-tokens", "0").exitCode());
        assertEquals(2, run("generate", "--model", "m", "--prompt", "x", "--max-new-tokens", "many").exitCode());
        assertEquals(2, run("generate", "--model", "m", "--prompt", "x", "--logprobs", "-1").exitCode());
        CliTestSupport.Run r = run("generate", "--model", "m", "--prompt-ids", "1,two,3");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("'two'"), r.toString());
        assertEquals(2, run("generate", "--model", "m", "--prompt", "").exitCode(), "empty prompt");
    }

    @Test
    void missingModelDirectoryIsAUsageError(@TempDir Path tmp) {
        CliTestSupport.Run r = run("generate", "--model", tmp.resolve("nope").toString(), "--prompt", "x");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("nope"), r.toString());
        assertOneLine(r.err());
    }

    @Test
    void outOfVocabularyPromptIdNamesTheIdAndTheVocabulary() {
        String model = golden("tiny-a").toString(); // vocabulary 500, padded to 504
        CliTestSupport.Run r = run("generate", "--model", model, "--prompt-ids", "5, 504, 7");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("504 (position 1)") && r.err().contains("vocabulary of 504"), r.toString());
        assertOneLine(r.err());

        CliTestSupport.Run negative = run("generate", "--model", model, "--prompt-ids", "[-1]");
        assertEquals(2, negative.exitCode(), negative.toString());
        assertTrue(negative.err().contains("-1"), negative.toString());

        // Text: GPT-2 ids beyond tiny-a's vocabulary.
        CliTestSupport.Run text = run("generate", "--model", model, "--prompt", "Hello world");
        assertEquals(2, text.exitCode(), text.toString());
        assertTrue(text.err().contains("15496"), text.toString());
    }

    @Test
    void badCheckpointExitsWithOneAndOneLine(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("config.json"), "{ this is not json");
        CliTestSupport.Run r = run("generate", "--model", tmp.toString(), "--prompt-ids", "1");
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().startsWith("readtwice: bad checkpoint: "), r.toString());
        assertOneLine(r.err());

        CliTestSupport.Run verbose = run("-v", "generate", "--model", tmp.toString(), "--prompt-ids", "1");
        assertEquals(1, verbose.exitCode(), verbose.toString());
        assertTrue(verbose.err().contains("\tat "), "--verbose prints the stack trace: " + verbose);
    }

    @Test
    void help() {
        CliTestSupport.Run r = run("generate", "--help");
        assertEquals(0, r.exitCode(), r.toString());
        for (String option : List.of("--model", "--prompt", "--prompt-ids", "--max-new-tokens", "--stop",
                "--logprobs", "--jrt-padding", "--based-decode", "--json")) {
            assertTrue(r.out().contains(option), option + " in\n" + r.out());
        }
        CliTestSupport.Run top = run("--help");
        assertEquals(0, top.exitCode(), top.toString());
        assertTrue(top.out().contains("generate"), top.toString());
    }

    @Test
    void missingOrUnknownSubcommandIsAUsageError() {
        CliTestSupport.Run none = run();
        assertEquals(2, none.exitCode(), none.toString());
        assertOneLine(none.err());
        CliTestSupport.Run unknown = run("frobnicate");
        assertEquals(2, unknown.exitCode(), unknown.toString());
    }

    /** One error line on stderr (checkpoint warnings aside). */
    private static void assertOneLine(String err) {
        long lines = err.strip().lines().filter(line -> !line.startsWith("readtwice: warning: ")).count();
        assertEquals(1, lines, "one line on stderr, got:\n" + err);
    }
}
