package io.readtwice.notebook;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChartTest {
    @TempDir
    Path tmp;

    @Test
    void eachKindDrawsAPngThatDecodes() throws Exception {
        Map<String, double[]> bars = new LinkedHashMap<>();
        bars.put("default", new double[]{10, 20, Double.NaN});
        bars.put("twice", new double[]{15, 5, 30});
        Map<String, double[]> values = new LinkedHashMap<>();
        values.put("default", new double[]{1, 2, 2, 3, 10});
        values.put("twice", new double[]{2, 4, 4, 6, 20});
        Map<String, double[][]> points = Map.of("run", new double[][]{{1, 2, 3}, {3, 2, 1}});
        List<Chart> charts = List.of(
                Chart.bars("bars", "rows", List.of("a", "b", "c"), bars, "%.0f"),
                Chart.histogram("histogram", "tokens", values, 5),
                Chart.scatter("scatter", "x", "y", points));
        for (int i = 0; i < charts.size(); i++) {
            charts.get(i).save(tmp, i + ".png");
            BufferedImage image = ImageIO.read(tmp.resolve(i + ".png").toFile());
            assertNotNull(image);
            assertEquals(Chart.WIDTH, image.getWidth());
            long drawn = 0;
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    drawn += (image.getRGB(x, y) & 0xFFFFFF) == 0xFFFFFF ? 0 : 1;
                }
            }
            assertTrue(drawn > 5000, "chart " + i + " has only " + drawn + " drawn pixels");
        }
    }

    @Test
    void barsNeedOneValuePerCategory() {
        assertThrows(IllegalArgumentException.class,
                () -> Chart.bars("t", "y", List.of("a", "b"), Map.of("s", new double[]{1}), "%.0f"));
    }

    @Test
    void axisTicksAreRound() {
        Chart.Axis a = Chart.Axis.of(0, 312 * 1.1);
        assertEquals(100, a.step());
        assertEquals(400, a.max());
        Chart.Axis b = Chart.Axis.of(0, 0.9);
        assertEquals(0.2, b.step(), 1e-12);
        assertEquals("0.4", b.label(0.4));
    }
}
