package io.readtwice.notebook.kernel;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cells through the kernel's JShell, without a Jupyter connection. */
class JavaKernelTest {
    private static JavaKernel kernel;

    @BeforeAll
    static void start() {
        kernel = JavaKernel.builder().build();
    }

    @Test
    void aCellIsSeveralSnippetsAndItsLastExpressionIsItsValue() {
        assertNull(kernel.evalRaw("int a = 20;\nint b = a + 1;"));
        assertEquals("42", kernel.evalRaw("int twice(int x) { return 2 * x; }\ntwice(b)"));
        assertNull(kernel.evalRaw("twice(b);"), "a trailing semicolon hides the value");
        assertEquals("[1, 2]", kernel.evalRaw("List.of(1, 2)"), "startup imports java.util.*");
    }

    @Test
    void aCellThatDoesNotCompileFailsNamingTheLine() {
        JavaKernel.CellException e = assertThrows(JavaKernel.CellException.class,
                () -> kernel.evalRaw("int fine = 1;\nString s = 3;"));
        assertTrue(e.getMessage().contains("does not compile") && e.getMessage().contains("String s = 3;"),
                e.getMessage());
    }

    @Test
    void aCellThatThrowsFailsWithTheException() {
        JavaKernel.CellException e = assertThrows(JavaKernel.CellException.class,
                () -> kernel.evalRaw("Object o = null;\no.toString();"));
        assertTrue(e.getMessage().startsWith("java.lang.NullPointerException"), e.getMessage());
    }
}
