package io.readtwice.checkpoint;

/**
 * A checkpoint that cannot be loaded: a missing or malformed file, an unsupported config option, a missing or
 * misshapen tensor. The message names the file, the field/tensor/entry and what was expected.
 */
public class CheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
