package io.readtwice.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a {@link StoredTensor} into a float32 array through a read-only memory map of just its byte range, so a
 * multi-GB file never passes through the heap. A range longer than one mapping allows (2 GiB) is mapped in
 * chunks; chunk boundaries fall on multiples of 8 bytes from the range start, so no element straddles two chunks.
 */
final class TensorReader implements AutoCloseable {
    /** 1 GiB: a multiple of every element size, below the 2 GiB limit of one MappedByteBuffer. */
    static final long DEFAULT_CHUNK_BYTES = 1L << 30;

    private final Path file;
    private final FileChannel channel;
    private final long chunkBytes;

    TensorReader(Path file) {
        this(file, DEFAULT_CHUNK_BYTES);
    }

    /** {@code chunkBytes} is small only in tests, to exercise the multi-chunk path without a 2 GiB file. */
    TensorReader(Path file, long chunkBytes) {
        if (chunkBytes <= 0 || chunkBytes % 8 != 0 || chunkBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("chunkBytes must be a positive multiple of 8 below 2 GiB: "
                    + chunkBytes);
        }
        this.file = file;
        this.chunkBytes = chunkBytes;
        try {
            this.channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot open: " + e.getMessage(), e);
        }
    }

    /** All elements of {@code t}, widened to float32, in row-major order. */
    float[] readFloats(StoredTensor t) {
        if (!t.dtype().isFloatWeight()) {
            throw new CheckpointException(file + ": tensor '" + t.name() + "' has dtype " + t.dtype()
                    + ", expected F32, F16 or BF16");
        }
        long numel = t.numel();
        if (numel > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(file + ": tensor '" + t.name() + "' has " + numel
                    + " elements, more than a Java array holds");
        }
        float[] out = new float[(int) numel];
        if (numel == 0) {
            return out;
        }
        int elem = t.dtype().bytes();
        long[] shape = t.shape();
        long[] strides = t.strides();
        // the storage elements the view touches: [first, last]
        long first = t.storageOffset();
        long last = first;
        for (int i = 0; i < shape.length; i++) {
            last += (shape[i] - 1) * strides[i];
        }
        ByteBuffer[] chunks = map(t.storageStart() + first * elem, (last - first + 1) * elem);
        if (t.isContiguous()) {
            int pos = 0;
            for (ByteBuffer chunk : chunks) {
                int n = chunk.remaining() / elem;
                decode(chunk, t.dtype(), out, pos, n);
                pos += n;
            }
            return out;
        }
        // strided view: walk the indices like an odometer, keeping the element's storage index incrementally
        int dims = shape.length;
        long[] index = new long[dims];
        long element = 0; // relative to `first`
        for (int k = 0; k < out.length; k++) {
            long byteOffset = element * elem;
            ByteBuffer chunk = chunks[(int) (byteOffset / chunkBytes)];
            out[k] = decodeOne(chunk, (int) (byteOffset % chunkBytes), t.dtype());
            for (int d = dims - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) {
                    element += strides[d];
                    break;
                }
                element -= (shape[d] - 1) * strides[d];
                index[d] = 0;
            }
        }
        return out;
    }

    private ByteBuffer[] map(long position, long length) {
        int count = (int) ((length + chunkBytes - 1) / chunkBytes);
        ByteBuffer[] chunks = new ByteBuffer[count];
        try {
            for (int c = 0; c < count; c++) {
                long start = c * chunkBytes;
                long size = Math.min(chunkBytes, length - start);
                MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, position + start, size);
                chunks[c] = mapped.order(ByteOrder.LITTLE_ENDIAN);
            }
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot map bytes " + position + ".." + (position + length)
                    + ": " + e.getMessage(), e);
        }
        return chunks;
    }

    /** Decodes the first n little-endian elements of the chunk (position 0) into out[pos ..). */
    static void decode(ByteBuffer chunk, DType dtype, float[] out, int pos, int n) {
        switch (dtype) {
            case F32 -> chunk.asFloatBuffer().get(out, pos, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[pos + i] = HalfPrecision.halfToFloat(chunk.getShort(i * 2));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[pos + i] = HalfPrecision.bf16ToFloat(chunk.getShort(i * 2));
                }
            }
            default -> throw new IllegalStateException("not a float weight type: " + dtype);
        }
    }

    private static float decodeOne(ByteBuffer chunk, int byteOffset, DType dtype) {
        return switch (dtype) {
            case F32 -> chunk.getFloat(byteOffset);
            case F16 -> HalfPrecision.halfToFloat(chunk.getShort(byteOffset));
            case BF16 -> HalfPrecision.bf16ToFloat(chunk.getShort(byteOffset));
            default -> throw new IllegalStateException("not a float weight type: " + dtype);
        };
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // read-only channel: nothing was written that a failed close could lose
        }
    }
}
