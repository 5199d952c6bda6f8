package io.readtwice.kernels;

/**
 * A device call failed for a reason other than memory (a launch error, a lost device, an illegal address). CUDA
 * errors of that kind are sticky: the context is unusable afterwards, so retrying rows on it is pointless and the
 * caller fails the task instead (Spark retries it, on another executor if need be).
 */
public final class DeviceError extends RuntimeException {
    public DeviceError(String message, Throwable cause) {
        super(message, cause);
    }
}
