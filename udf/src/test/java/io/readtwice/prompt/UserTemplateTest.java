package io.readtwice.prompt;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The user template language: placeholders, escapes, up-front syntax errors. */
class UserTemplateTest {

    private static String render(String template, Map<String, String> row) {
        return UserTemplate.parse(template).render(row, Map.of());
    }

    @Test
    void placeholdersTakeFieldsVerbatim() {
        Map<String, String> row = Map.of("question", "Where? ", "context", " Paris.", "title", "Geo");
        assertEquals("Where?   Paris.\n Paris. Where? :",
                render("{question} {context}\\n{context} {question}:", row));
        assertEquals("[Geo] Paris.", render("[{title}]{context}", row));
    }

    @Test
    void fieldsAreListedOnceInOrderOfFirstUse() {
        assertEquals(List.of("question", "context", "my col"),
                List.copyOf(UserTemplate.parse("{question} {context} {question} {my col}").fields()));
        assertEquals(List.of(), List.copyOf(UserTemplate.parse("no fields {{here}}").fields()));
    }

    @Test
    void doubledBracesAndBackslashEscapesAreLiterals() {
        Map<String, String> row = Map.of("x", "X");
        assertEquals("{x} = X", render("{{x}} = {x}", row));
        assertEquals("{X}", render("{{{x}}}", row));
        assertEquals("a\nb\tc\rd\\e", render("a\\nb\\tc\\rd\\\\e", row));
        assertEquals("real\nnewline", render("real\nnewline", row));
        assertEquals("{context}", render("{{context}}", row));
    }

    @Test
    void syntaxErrorsNameThePosition() {
        assertSyntaxError("{question", "character 0: '{' is never closed");
        assertSyntaxError("a } b", "character 2: '}' without a matching '{'");
        assertSyntaxError("x {}", "character 2: empty placeholder");
        assertSyntaxError("{a{b}", "'{' inside a placeholder");
        assertSyntaxError("{ context }", "spaces around its name");
        assertSyntaxError("{con\\ntext}", "backslash or line break");
        assertSyntaxError("ends with \\", "lone backslash");
        assertSyntaxError("bad \\q escape", "character 4: unknown escape \\q");
    }

    @Test
    void aNullOrMissingFieldIsARowError() {
        Map<String, String> row = new HashMap<>();
        row.put("question", null);
        PromptException nullField = assertThrows(PromptException.class, () -> render("{question}", row));
        assertEquals("field 'question' (used by the prompt template) is null", nullField.getMessage());
        PromptException missing = assertThrows(PromptException.class, () -> render("{title}", row));
        assertEquals("field 'title' (used by the prompt template) is missing", missing.getMessage());
    }

    @Test
    void overridesReplaceRowValues() {
        assertEquals("cut", UserTemplate.parse("{context}").render(Map.of("context", "whole"),
                Map.of("context", "cut")));
    }

    private static void assertSyntaxError(String template, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UserTemplate.parse(template));
        assertTrue(e.getMessage().startsWith("bad prompt template at "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
