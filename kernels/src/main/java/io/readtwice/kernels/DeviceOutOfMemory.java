package io.readtwice.kernels;

/**
 * A device ran out of memory for one call. Unlike a Java {@link OutOfMemoryError} it says nothing about the JVM:
 * the backend is intact, the same call with fewer rows may fit, so the caller splits its batch and retries (the
 * answer engine does) rather than failing the task.
 */
public final class DeviceOutOfMemory extends RuntimeException {
    private final long requestedBytes;
    private final long availableBytes;

    /**
     * @param what           what was being allocated, for the message
     * @param requestedBytes bytes asked for
     * @param availableBytes bytes that were left, or -1 when the device did not say
     */
    public DeviceOutOfMemory(String what, long requestedBytes, long availableBytes) {
        super("device out of memory allocating " + what + ": " + requestedBytes + " bytes requested"
                + (availableBytes >= 0 ? ", " + availableBytes + " bytes free" : ""));
        this.requestedBytes = requestedBytes;
        this.availableBytes = availableBytes;
    }

    public long requestedBytes() {
        return requestedBytes;
    }

    /** Bytes that were left, or -1 when unknown. */
    public long availableBytes() {
        return availableBytes;
    }
}
