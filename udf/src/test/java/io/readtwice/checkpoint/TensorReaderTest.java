package io.readtwice.checkpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TensorReaderTest {
    private static final long GIB = 1L << 30;

    @TempDir
    Path tmp;

    /**
     * A storage of 3 GiB (a sparse file, so nothing is written to disk): a strided view whose elements lie
     * 1.5 GiB apart, and a contiguous slice starting beyond 2^31, both read through the real 1 GiB chunks.
     */
    @Test
    void readsViewsOfAStorageLargerThan2GiB() throws IOException {
        assumeTrue(Files.getFileStore(tmp).getUsableSpace() > GIB, "needs room for a sparse 3 GiB file");
        Path file = tmp.resolve("big.bin");
        long storageBytes = 3 * GIB + 8;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(storageBytes);
        }
        long stride = 3 * GIB / 2 / 4; // elements between 0, 1.5 GiB and 3 GiB
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            put(ch, 0, 1f);
            put(ch, stride * 4, 2f);
            put(ch, 2 * stride * 4, 3f);
            put(ch, 2 * stride * 4 + 4, 4f);
        }
        StoredTensor spread = StoredTensor.strided(file, "spread", DType.F32, new long[] {3}, new long[] {stride},
                0, storageBytes, 0);
        StoredTensor tail = StoredTensor.strided(file, "tail", DType.F32, new long[] {2}, new long[] {1},
                0, storageBytes, 2 * stride);
        try (TensorReader reader = new TensorReader(file)) {
            assertArrayEquals(new float[] {1, 2, 3}, reader.readFloats(spread));
            assertArrayEquals(new float[] {3, 4}, reader.readFloats(tail));
        }
    }

    @Test
    void viewsOutsideTheirStorageAreRefused() {
        Path file = tmp.resolve("x");
        assertThrows(CheckpointException.class, () -> StoredTensor.strided(file, "w", DType.F32, new long[] {2, 2},
                new long[] {2, 1}, 0, 12, 0));
        assertThrows(CheckpointException.class, () -> StoredTensor.strided(file, "w", DType.F32, new long[] {2},
                new long[] {-1}, 0, 100, 1));
        assertThrows(CheckpointException.class, () -> StoredTensor.strided(file, "w", DType.F32,
                new long[] {Long.MAX_VALUE / 2}, new long[] {4}, 0, 100, 0));
        assertThrows(CheckpointException.class, () -> StoredTensor.strided(file, "w", DType.F32, new long[] {2},
                new long[] {1, 1}, 0, 100, 0));
        // an empty view touches nothing, whatever its offset
        StoredTensor.strided(file, "w", DType.F32, new long[] {0, 5}, new long[] {5, 1}, 0, 0, 7);
    }

    private static void put(FileChannel ch, long position, float value) throws IOException {
        ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, value), position);
    }
}
