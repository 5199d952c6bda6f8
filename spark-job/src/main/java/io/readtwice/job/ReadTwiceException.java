package io.readtwice.job;

/**
 * A problem the user can fix (a bad option, a missing column, an unreadable input, an unwritable output, a bad
 * model), found on the driver before any executor work. The message says what is wrong and what to do.
 */
public class ReadTwiceException extends IllegalArgumentException {
    public ReadTwiceException(String message) {
        super(message);
    }

    public ReadTwiceException(String message, Throwable cause) {
        super(message, cause);
    }
}
