package io.readtwice.job;

import io.readtwice.answer.LiveProgress;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress lines on the console while the answer stage runs: rows, tokens, rate and time left. A local run reads
 * the executor's live counters (same JVM, updated per micro-batch); a cluster run reads the accumulators, which
 * the driver sees when tasks finish.
 */
final class ConsoleProgress implements AutoCloseable {
    private final Thread thread;
    private volatile boolean running = true;

    private ConsoleProgress(PrintWriter out, long totalRows, JobCounters counters, boolean local, long periodMillis) {
        long start = System.nanoTime();
        LiveProgress.reset();
        thread = new Thread(() -> {
            while (running) {
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
                long rows = local ? LiveProgress.rows() : counters.rows();
                long tokens = local ? LiveProgress.tokens()
                        : counters.promptTokens.value() + counters.generatedTokens.value();
                out.println(line(rows, totalRows, tokens, (System.nanoTime() - start) / 1e9));
                out.flush();
            }
        }, "readtwice-progress");
        thread.setDaemon(true);
    }

    static ConsoleProgress start(PrintWriter out, long totalRows, JobCounters counters, boolean local) {
        ConsoleProgress p = new ConsoleProgress(out, totalRows, counters, local, 5000);
        p.thread.start();
        return p;
    }

    static String line(long rows, long total, long tokens, double seconds) {
        double rate = seconds > 0 ? tokens / seconds : 0;
        String left = rows > 0 && rows < total ? "~" + duration(seconds * (total - rows) / rows) + " left" : "";
        return String.format(Locale.ROOT, "readtwice: %d/%d rows (%.0f%%), %d tokens, %.0f tokens/s, %s %s",
                rows, total, total == 0 ? 100.0 : 100.0 * rows / total, tokens, rate, duration(seconds), left).strip();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
