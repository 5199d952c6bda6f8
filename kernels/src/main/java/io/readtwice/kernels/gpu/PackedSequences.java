package io.readtwice.kernels.gpu;

/**
 * The row ranges of sequences packed one after another (the Backend seam's {@code seqStart}): sequence s owns rows
 * {@code starts[s] .. starts[s+1]-1}. Kept on the host (for launch shapes and checks) and on the device (for the
 * kernels); made once per batch and shared by every layer.
 */
public final class PackedSequences implements AutoCloseable {
    private final int[] starts;
    private final DeviceBuffer device;
    private final int longest;

    private PackedSequences(int[] starts, DeviceBuffer device, int longest) {
        this.starts = starts;
        this.device = device;
        this.longest = longest;
    }

    /** Checks that {@code starts} begins at 0 and does not decrease, and uploads it. */
    public static PackedSequences upload(CudaContext context, int[] starts) {
        if (starts == null || starts.length < 2 || starts[0] != 0) {
            throw new IllegalArgumentException("sequence starts must begin with 0 and hold at least one sequence, got "
                    + (starts == null ? "null" : java.util.Arrays.toString(starts)));
        }
        int longest = 0;
        for (int s = 0; s + 1 < starts.length; s++) {
            int rows = starts[s + 1] - starts[s];
            if (rows < 0) {
                throw new IllegalArgumentException("sequence starts decrease at " + (s + 1) + ": " + starts[s] + " > "
                        + starts[s + 1]);
            }
            longest = Math.max(longest, rows);
        }
        int[] copy = starts.clone();
        return new PackedSequences(copy, DeviceBuffer.of(context, copy), longest);
    }

    public int sequences() {
        return starts.length - 1;
    }

    /** All rows of all sequences. */
    public int rows() {
        return starts[starts.length - 1];
    }

    public int longest() {
        return longest;
    }

    DeviceBuffer device() {
        return device;
    }

    @Override
    public void close() {
        device.close();
    }
}
