package io.readtwice.notebook;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Three chart kinds drawn with Java2D into a PNG, headless: grouped bars, overlaid histograms and a scatter plot.
 * Every chart has a title, labelled axes with round ticks, and a legend when it has more than one series. Series
 * keep their insertion order and take the palette's colours in that order, so "default" and "twice" get the same
 * colours in every figure of a notebook when they are added in the same order.
 */
public final class Chart {
    static final int WIDTH = 900;
    static final int HEIGHT = 480;
    private static final Color[] PALETTE = {new Color(0x4C72B0), new Color(0xDD8452), new Color(0x55A868),
            new Color(0xC44E52), new Color(0x8172B3), new Color(0x937860), new Color(0xDA8BC3), new Color(0x8C8C8C)};
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 17);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    // plot area inside the image
    private static final int LEFT = 80, RIGHT = 30, TOP = 60, BOTTOM = 80;

    private final BufferedImage image;

    private Chart(BufferedImage image) {
        this.image = image;
    }

    public BufferedImage image() {
        return image;
    }

    /** Writes the chart as {@code dir/name} (PNG; folders are created) and returns the image, for display(). */
    public BufferedImage save(Path dir, String name) {
        try {
            Files.createDirectories(dir);
            ImageIO.write(image, "png", dir.resolve(name).toFile());
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(name), e);
        }
    }

    /**
     * Grouped vertical bars: one group per category, one bar per series, each labelled with its value
     * ({@code valueFormat}, e.g. "%.0f" or "%.1f%%"). NaN bars are left out.
     */
    public static Chart bars(String title, String yLabel, List<String> categories, Map<String, double[]> series,
                             String valueFormat) {
        double max = 0;
        for (double[] values : series.values()) {
            check(values.length == categories.size(), "each series needs one value per category");
            for (double v : values) {
                if (!Double.isNaN(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        Axis y = Axis.of(0, max == 0 ? 1 : max * 1.1);
        Canvas c = new Canvas(title);
        c.yAxis(y, yLabel);
        int groups = categories.size();
        double groupWidth = c.plotWidth() / (double) Math.max(1, groups);
        double barWidth = groupWidth * 0.8 / Math.max(1, series.size());
        int s = 0;
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            c.g.setColor(PALETTE[s % PALETTE.length]);
            for (int i = 0; i < groups; i++) {
                double v = e.getValue()[i];
                if (Double.isNaN(v)) {
                    continue;
                }
                double x = LEFT + i * groupWidth + groupWidth * 0.1 + s * barWidth;
                double top = c.yPixel(y, v);
                c.g.setColor(PALETTE[s % PALETTE.length]);
                c.g.fill(new Rectangle2D.Double(x, top, barWidth - 2, c.yPixel(y, 0) - top));
                c.g.setColor(Color.DARK_GRAY);
                c.g.setFont(SMALL);
                c.centered(String.format(Locale.ROOT, valueFormat, v), x + (barWidth - 2) / 2, top - 4);
            }
            s++;
        }
        c.g.setColor(Color.BLACK);
        c.g.setFont(LABEL);
        for (int i = 0; i < groups; i++) {
            c.centered(clip(categories.get(i), (int) groupWidth, c.g.getFontMetrics()), LEFT + (i + 0.5) * groupWidth,
                    HEIGHT - BOTTOM + 20);
        }
        c.legend(series.keySet());
        return c.done();
    }

    /** Overlaid histograms of the series on shared bins (translucent, so overlaps show), counting rows per bin. */
    public static Chart histogram(String title, String xLabel, Map<String, double[]> series, int bins) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[] values : series.values()) {
            for (double v : values) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (lo > hi) {
            lo = 0;
            hi = 1;
        }
        Axis x = Axis.of(lo, hi == lo ? lo + 1 : hi);
        double width = (x.max - x.min) / bins;
        Map<String, int[]> counts = new LinkedHashMap<>();
        int top = 1;
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            int[] n = new int[bins];
            for (double v : e.getValue()) {
                n[Math.min(bins - 1, (int) ((v - x.min) / width))]++;
            }
            for (int k : n) {
                top = Math.max(top, k);
            }
            counts.put(e.getKey(), n);
        }
        Axis y = Axis.of(0, top * 1.1);
        Canvas c = new Canvas(title);
        c.yAxis(y, "rows");
        c.xAxis(x, xLabel);
        int s = 0;
        for (int[] n : counts.values()) {
            Color colour = PALETTE[s++ % PALETTE.length];
            for (int b = 0; b < bins; b++) {
                if (n[b] == 0) {
                    continue;
                }
                double left = c.xPixel(x, x.min + b * width), right = c.xPixel(x, x.min + (b + 1) * width);
                double yTop = c.yPixel(y, n[b]);
                c.g.setColor(new Color(colour.getRed(), colour.getGreen(), colour.getBlue(), 150));
                c.g.fill(new Rectangle2D.Double(left, yTop, right - left - 1, c.yPixel(y, 0) - yTop));
                c.g.setColor(colour.darker());
                c.g.draw(new Rectangle2D.Double(left, yTop, right - left - 1, c.yPixel(y, 0) - yTop));
            }
        }
        c.legend(series.keySet());
        return c.done();
    }

    /** Points; {@code series.get(name)} is {xs, ys}. */
    public static Chart scatter(String title, String xLabel, String yLabel, Map<String, double[][]> series) {
        double xMax = 0, yMax = 0;
        for (double[][] xy : series.values()) {
            check(xy.length == 2 && xy[0].length == xy[1].length, "a scatter series is {xs, ys} of equal length");
            for (int i = 0; i < xy[0].length; i++) {
                xMax = Math.max(xMax, xy[0][i]);
                yMax = Math.max(yMax, xy[1][i]);
            }
        }
        Axis x = Axis.of(0, xMax == 0 ? 1 : xMax * 1.05);
        Axis y = Axis.of(0, yMax == 0 ? 1 : yMax * 1.1);
        Canvas c = new Canvas(title);
        c.yAxis(y, yLabel);
        c.xAxis(x, xLabel);
        int s = 0;
        for (double[][] xy : series.values()) {
            Color colour = PALETTE[s++ % PALETTE.length];
            for (int i = 0; i < xy[0].length; i++) {
                double px = c.xPixel(x, xy[0][i]), py = c.yPixel(y, xy[1][i]);
                c.g.setColor(new Color(colour.getRed(), colour.getGreen(), colour.getBlue(), 190));
                c.g.fill(new Ellipse2D.Double(px - 5, py - 5, 10, 10));
                c.g.setColor(colour.darker());
                c.g.draw(new Ellipse2D.Double(px - 5, py - 5, 10, 10));
            }
        }
        c.legend(series.keySet());
        return c.done();
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static String clip(String s, int width, FontMetrics fm) {
        if (fm.stringWidth(s) <= width - 4) {
            return s;
        }
        String t = s;
        while (t.length() > 1 && fm.stringWidth(t + "…") > width - 4) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "…";
    }

    /** An axis from min to max with round ticks (1, 2 or 5 × 10^k apart, about five of them). */
    record Axis(double min, double max, double step) {
        static Axis of(double min, double max) {
            double raw = (max - min) / 5;
            double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
            double step = magnitude;
            for (double m : new double[]{1, 2, 5, 10}) {
                if (m * magnitude >= raw) {
                    step = m * magnitude;
                    break;
                }
            }
            return new Axis(Math.floor(min / step) * step, Math.ceil(max / step) * step, step);
        }

        List<Double> ticks() {
            List<Double> t = new ArrayList<>();
            for (double v = min; v <= max + step / 2; v += step) {
                t.add(Math.abs(v) < step / 1e6 ? 0 : v);
            }
            return t;
        }

        String label(double v) {
            if (step >= 1 && Math.abs(v) < 1e15) {
                return String.format(Locale.ROOT, "%,d", Math.round(v));
            }
            int decimals = (int) Math.max(0, Math.ceil(-Math.log10(step)));
            return String.format(Locale.ROOT, "%." + decimals + "f", v);
        }
    }

    /** The image being drawn: white background, title, plot frame. */
    private static final class Canvas {
        final BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = image.createGraphics();

        Canvas(String title) {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setColor(Color.BLACK);
            g.setFont(TITLE);
            centered(title, WIDTH / 2.0, 30);
        }

        int plotWidth() {
            return WIDTH - LEFT - RIGHT;
        }

        int plotHeight() {
            return HEIGHT - TOP - BOTTOM;
        }

        double yPixel(Axis y, double v) {
            return TOP + plotHeight() * (1 - (v - y.min) / (y.max - y.min));
        }

        double xPixel(Axis x, double v) {
            return LEFT + plotWidth() * (v - x.min) / (x.max - x.min);
        }

        void yAxis(Axis y, String label) {
            g.setFont(SMALL);
            for (double t : y.ticks()) {
                int py = (int) Math.round(yPixel(y, t));
                g.setColor(new Color(0xE5E5E5));
                g.drawLine(LEFT, py, WIDTH - RIGHT, py);
                g.setColor(Color.DARK_GRAY);
                String s = y.label(t);
                g.drawString(s, LEFT - 6 - g.getFontMetrics().stringWidth(s), py + 4);
            }
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1.2f));
            g.drawLine(LEFT, TOP, LEFT, HEIGHT - BOTTOM);
            g.drawLine(LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM);
            g.setFont(LABEL);
            AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 2);
            centered(label, -(TOP + plotHeight() / 2.0), 20);
            g.setTransform(saved);
        }

        void xAxis(Axis x, String label) {
            g.setFont(SMALL);
            g.setColor(Color.DARK_GRAY);
            for (double t : x.ticks()) {
                double px = xPixel(x, t);
                g.drawLine((int) px, HEIGHT - BOTTOM, (int) px, HEIGHT - BOTTOM + 4);
                centered(x.label(t), px, HEIGHT - BOTTOM + 18);
            }
            g.setColor(Color.BLACK);
            g.setFont(LABEL);
            centered(label, LEFT + plotWidth() / 2.0, HEIGHT - BOTTOM + 42);
        }

        void legend(Iterable<String> names) {
            List<String> list = new ArrayList<>();
            names.forEach(list::add);
            if (list.size() < 2) {
                return;
            }
            g.setFont(LABEL);
            FontMetrics fm = g.getFontMetrics();
            int total = 0;
            for (String n : list) {
                total += 22 + fm.stringWidth(n) + 18;
            }
            int x = (int) (WIDTH / 2.0 - total / 2.0);
            int y = HEIGHT - 18;
            for (int i = 0; i < list.size(); i++) {
                g.setColor(PALETTE[i % PALETTE.length]);
                g.fillRect(x, y - 11, 14, 14);
                g.setColor(Color.BLACK);
                g.drawString(list.get(i), x + 20, y + 1);
                x += 22 + fm.stringWidth(list.get(i)) + 18;
            }
        }

        void centered(String s, double cx, double baseline) {
            g.drawString(s, (float) (cx - g.getFontMetrics().stringWidth(s) / 2.0), (float) baseline);
        }

        Chart done() {
            g.dispose();
            return new Chart(image);
        }
    }
}
