package io.readtwice.notebook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The committed notebooks: on this module's kernel, without outputs, imports first (see JavaKernel). */
class NotebookFilesTest {
    @Test
    void notebooksAreCleanAndRunOnTheReadtwiceKernel() throws Exception {
        List<Path> notebooks;
        try (Stream<Path> files = Files.list(NotebooksIT.root().resolve("notebooks"))) {
            notebooks = files.filter(p -> p.toString().endsWith(".ipynb")).toList();
        }
        assertFalse(notebooks.isEmpty());
        for (Path notebook : notebooks) {
            JsonNode nb = new ObjectMapper().readTree(notebook.toFile());
            assertEquals("readtwice", nb.path("metadata").path("kernelspec").path("name").asText(), notebook + "");
            boolean first = true;
            for (JsonNode cell : nb.path("cells")) {
                if (!cell.path("cell_type").asText().equals("code")) {
                    continue;
                }
                assertEquals(0, cell.path("outputs").size(), notebook + ": committed with outputs");
                assertTrue(cell.path("execution_count").isNull(), notebook + ": committed with execution counts");
                if (first) {
                    for (JsonNode line : cell.path("source")) {
                        assertTrue(line.asText().isBlank() || line.asText().startsWith("import "),
                                notebook + ": the first code cell holds only imports, not " + line.asText());
                    }
                    first = false;
                }
            }
        }
    }
}
