package io.readtwice.checkpoint;

import io.readtwice.kernels.MatrixSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/**
 * A contiguous 2-D weight tensor of a checkpoint, read from the file when a backend stores it: rows are decoded
 * from positioned reads into a small buffer, so neither the whole tensor as float32 nor a memory map of the file
 * (whose pages would count as the process's resident memory) is ever held. The loader has already checked dtype,
 * shape and that the bytes lie inside the file.
 */
record CheckpointMatrix(StoredTensor tensor, int rows, int cols) implements MatrixSource {
    /** Bytes per positioned read, one buffer per thread: large enough to amortise the call, stays in L2. */
    private static final int READ_BYTES = 1 << 16;
    private static final ThreadLocal<ByteBuffer> BUFFER = ThreadLocal.withInitial(
            () -> ByteBuffer.allocate(READ_BYTES).order(ByteOrder.LITTLE_ENDIAN));

    CheckpointMatrix {
        if (!tensor.isContiguous() || tensor.numel() != (long) rows * cols) {
            throw new IllegalArgumentException(tensor.name() + " is not a contiguous [" + rows + ", " + cols
                    + "] tensor");
        }
    }

    @Override
    public void read(int from, int to, float[] dst, int dstOffset) {
        DType dtype = tensor.dtype();
        int elem = dtype.bytes();
        long first = tensor.storageStart() + (tensor.storageOffset() + (long) from * cols) * elem;
        long total = (long) (to - from) * cols * elem;
        ByteBuffer buffer = BUFFER.get();
        try (FileChannel channel = FileChannel.open(tensor.file(), StandardOpenOption.READ)) {
            long done = 0;
            while (done < total) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), total - done));
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer, first + done + buffer.position()) < 0) {
                        throw new CheckpointException(tensor.file() + ": ends inside tensor '" + tensor.name()
                                + "' (was the file changed after loading?)");
                    }
                }
                buffer.flip();
                int n = buffer.remaining() / elem;
                TensorReader.decode(buffer, dtype, dst, dstOffset + (int) (done / elem), n);
                done += (long) n * elem;
            }
        } catch (IOException e) {
            throw new CheckpointException(tensor.file() + ": cannot read tensor '" + tensor.name() + "': "
                    + e.getMessage(), e);
        }
    }
}
