package io.readtwice.prompt;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Python str semantics where Java's differ. */
class PythonStrTest {

    @Test
    void stripUsesPythonWhitespace() {
        // U+00A0, U+0085, U+202F and U+3000 are whitespace to Python's strip(), not to Java's strip().
        assertEquals("x", PythonStr.strip("\u00a0\u0085 x\u202f\u3000\t\n"));
        assertEquals("\u200bx", PythonStr.strip("\u200bx"), "a zero-width space is not whitespace");
        assertTrue(PythonStr.isSpace(0x1c));
        assertFalse(PythonStr.isSpace(0xfeff));
    }

    @Test
    void stripCharRemovesRunsAtBothEnds() {
        assertEquals("a.b", PythonStr.strip("...a.b..", '.'));
        assertEquals("", PythonStr.strip("....", '.'));
        assertEquals(" a. ", PythonStr.strip(" a. ", '.'));
    }

    @Test
    void removeTrailingCountsCodePoints() {
        assertEquals("x ", PythonStr.removeTrailingIgnoreCase("x 𝒳Y𝒳y", "𝒳y"));
        assertEquals("", PythonStr.removeTrailingIgnoreCase("KEY:key:", "key:"));
        assertEquals("aQ", PythonStr.removeTrailingOnce("aQQ", "Q"));
        assertEquals("aq", PythonStr.removeTrailingOnce("aq", "Q"));
    }

    @Test
    void slicesAndCapitals() {
        assertEquals("ab", PythonStr.dropLastCodePoints("ab𝒳", 1));
        assertEquals("", PythonStr.dropLastCodePoints("ab", 5));
        assertEquals("Élan", PythonStr.upperFirst("élan"));
        assertEquals("", PythonStr.upperFirst(""));
        assertEquals("a ", PythonStr.beforeFirst("a Question: b Question: c", "Question:"));
        assertEquals("none", PythonStr.beforeFirst("none", "Question:"));
    }
}
