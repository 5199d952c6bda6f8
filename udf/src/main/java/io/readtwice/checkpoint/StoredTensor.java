package io.readtwice.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where one tensor's elements lie in a weights file, without reading them: a storage (a byte range of the file)
 * plus a strided view into it, as in PyTorch. Element {@code (i, j, …)} is at storage element
 * {@code storageOffset + i·strides[0] + j·strides[1] + …}. Safetensors tensors are the contiguous special case.
 *
 * @param file          the weights file
 * @param name          the tensor's key in that file
 * @param dtype         element type
 * @param shape         sizes; empty for a 0-dim (scalar) tensor
 * @param strides       element strides, one per dimension
 * @param storageStart  absolute file position of the storage's first byte
 * @param storageBytes  length of the storage in bytes
 * @param storageOffset index of the view's first element in the storage, in elements of {@code dtype}
 */
record StoredTensor(Path file, String name, DType dtype, long[] shape, long[] strides, long storageStart,
                    long storageBytes, long storageOffset) {

    /** A tensor stored densely, row-major, from {@code start}; the caller has checked the byte length. */
    static StoredTensor contiguous(Path file, String name, DType dtype, long[] shape, long start) {
        long[] strides = contiguousStrides(shape);
        long bytes = Math.multiplyExact(numel(shape), dtype.bytes());
        return new StoredTensor(file, name, dtype, shape.clone(), strides, start, bytes, 0);
    }

    /**
     * A view into a storage, checked so that every element it addresses lies inside the storage: no reader can
     * then run past the storage, whatever the sizes, strides and offset in the file say.
     */
    static StoredTensor strided(Path file, String name, DType dtype, long[] shape, long[] strides,
                                long storageStart, long storageBytes, long storageOffset) {
        String where = file + ": tensor '" + name + "'";
        if (shape.length != strides.length) {
            throw new CheckpointException(where + " has " + shape.length + " sizes " + shapeString(shape)
                    + " but " + strides.length + " strides " + shapeString(strides));
        }
        if (storageOffset < 0) {
            throw new CheckpointException(where + " has a negative storage offset " + storageOffset);
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0 || strides[i] < 0) {
                throw new CheckpointException(where + " has a negative size or stride: size " + shapeString(shape)
                        + ", stride " + shapeString(strides));
            }
        }
        try {
            if (numel(shape) > 0) {
                long last = storageOffset;
                for (int i = 0; i < shape.length; i++) {
                    last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, strides[i]));
                }
                long endByte = Math.multiplyExact(Math.addExact(last, 1), dtype.bytes());
                if (endByte > storageBytes) {
                    throw new CheckpointException(where + " (size " + shapeString(shape) + ", stride "
                            + shapeString(strides) + ", storage offset " + storageOffset + ", " + dtype
                            + ") reaches byte " + endByte + " of a storage of " + storageBytes + " bytes");
                }
            }
        } catch (ArithmeticException e) {
            throw new CheckpointException(where + ": size " + shapeString(shape) + ", stride "
                    + shapeString(strides) + " and offset " + storageOffset + " overflow a 64-bit index", e);
        }
        return new StoredTensor(file, name, dtype, shape.clone(), strides.clone(), storageStart, storageBytes,
                storageOffset);
    }

    long numel() {
        return numel(shape);
    }

    boolean isContiguous() {
        return Arrays.equals(strides, contiguousStrides(shape)) || numel() <= 1;
    }

    /** Product of the sizes (1 for a scalar); throws ArithmeticException on overflow. */
    static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    static long[] contiguousStrides(long[] shape) {
        long[] strides = new long[shape.length];
        long step = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = step;
            step *= Math.max(shape[i], 1);
        }
        return strides;
    }

    /** {@code [504, 96]}, the form used in every shape message. */
    static String shapeString(long[] shape) {
        return Arrays.toString(shape);
    }
}
