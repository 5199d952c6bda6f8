package io.readtwice.answer;

/**
 * The engine, not a row, failed: the device or the JVM ran out of memory for a single row, or every row of a
 * micro-batch also failed when generated alone. It fails the Spark task (which Spark retries, on another executor
 * if need be) instead of turning rows into error rows, and it is an ordinary exception, so the executor JVM lives
 * on. A GPU backend throws it for device errors.
 */
public final class EngineFailure extends RuntimeException {
    public EngineFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
