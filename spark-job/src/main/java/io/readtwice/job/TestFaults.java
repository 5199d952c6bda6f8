package io.readtwice.job;

import io.readtwice.answer.EngineFailure;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Test-only fault injection for the fault-tolerance tests; inert unless a test sets it, through the Spark conf
 * {@value #CONF} (a cluster or a child JVM) or the driver thread's local property {@value #LOCAL_PROPERTY} (a
 * test's own session). The value is a comma-separated list of:
 * <ul>
 * <li>{@code failFirstAttempt=P}: attempt 0 of partition P throws an {@link EngineFailure} after its first row;
 * <li>{@code slowFirstAttempt=P:MS}: attempt 0 of partition P waits MS ms before its first row;
 * <li>{@code rowDelayMs=MS}: every row waits MS ms, so that a test can act in the middle of a run.
 * </ul>
 */
final class TestFaults {
    static final String CONF = "spark.readtwice.test.fault";
    static final String LOCAL_PROPERTY = "readtwice.test.fault";
    private static final TestFaults NONE = new TestFaults(-1, -1, 0, 0);

    private final int failPartition;
    private final int slowPartition;
    private final long slowMillis;
    private final long rowDelayMillis;

    private TestFaults(int failPartition, int slowPartition, long slowMillis, long rowDelayMillis) {
        this.failPartition = failPartition;
        this.slowPartition = slowPartition;
        this.slowMillis = slowMillis;
        this.rowDelayMillis = rowDelayMillis;
    }

    static TestFaults current(TaskContext task) {
        String spec = task == null ? null : task.getLocalProperty(LOCAL_PROPERTY);
        if (spec == null && SparkEnv.get() != null) {
            spec = SparkEnv.get().conf().get(CONF, null);
        }
        return spec == null || spec.isBlank() ? NONE : parse(spec);
    }

    static TestFaults parse(String spec) {
        int fail = -1;
        int slow = -1;
        long slowMs = 0;
        long delay = 0;
        for (String item : spec.split(",")) {
            String[] kv = item.strip().split("=", 2);
            switch (kv[0]) {
                case "failFirstAttempt" -> fail = Integer.parseInt(kv[1]);
                case "slowFirstAttempt" -> {
                    String[] pm = kv[1].split(":");
                    slow = Integer.parseInt(pm[0]);
                    slowMs = Long.parseLong(pm[1]);
                }
                case "rowDelayMs" -> delay = Long.parseLong(kv[1]);
                default -> throw new IllegalArgumentException("unknown test fault '" + item + "' in " + CONF);
            }
        }
        return new TestFaults(fail, slow, slowMs, delay);
    }

    /** The partition's output rows with the faults that apply to this task attempt. */
    Iterator<Row> apply(TaskContext task, Iterator<Row> rows) {
        if (this == NONE || task == null) {
            return rows;
        }
        boolean first = task.attemptNumber() == 0;
        boolean fail = first && task.partitionId() == failPartition;
        long wait = first && task.partitionId() == slowPartition ? slowMillis : 0;
        return new Iterator<>() {
            private long returned;

            @Override
            public boolean hasNext() {
                if (fail && returned == 1) {
                    throw new EngineFailure("injected engine failure in partition " + task.partitionId() + ", attempt "
                            + task.attemptNumber() + " (test fault hook " + CONF + ")", null);
                }
                return rows.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                pause(returned == 0 ? wait + rowDelayMillis : rowDelayMillis);
                returned++;
                return rows.next();
            }

            private void pause(long millis) {
                if (millis <= 0) {
                    return;
                }
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    task.killTaskIfInterrupted();
                    throw new IllegalStateException("interrupted", e);
                }
            }
        };
    }
}
