package io.readtwice.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The header of a {@code .safetensors} file: an 8-byte little-endian header length N, N bytes of JSON
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}}, then the data, offsets
 * relative to the end of the header. Every number is checked against the file size before anything is
 * allocated, so a forged header fails fast; the data itself is left on disk for {@link TensorReader}.
 */
final class SafetensorsFile {
    /** The reference implementation's own limit on the JSON header. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsFile() {
    }

    /** Tensor name → location, in header order. */
    static Map<String, StoredTensor> readHeader(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw new CheckpointException(file + " is not a safetensors file (length is too low: " + fileSize
                        + " bytes, need at least 8)");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lengthBytes, 0, file);
            long headerLength = lengthBytes.getLong(0); // unsigned in the format; negative here = absurdly large
            if (headerLength < 0 || headerLength > fileSize - 8) {
                throw new CheckpointException(file + ": header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the " + (fileSize - 8) + " bytes after the length field (truncated or not a "
                        + "safetensors file)");
            }
            if (headerLength > MAX_HEADER_BYTES) {
                throw new CheckpointException(file + ": header length " + headerLength + " exceeds the limit of "
                        + MAX_HEADER_BYTES + " bytes");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(ch, header, 8, file);
            long dataStart = 8 + headerLength;
            return parseHeader(file, header.array(), dataStart, fileSize - dataStart);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Map<String, StoredTensor> parseHeader(Path file, byte[] json, long dataStart, long dataLength) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new CheckpointException(file + ": header is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file + ": header is not a JSON object");
        }
        Map<String, StoredTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            if (name.equals("__metadata__")) {
                continue;
            }
            tensors.put(name, parseEntry(file, name, field.getValue(), dataStart, dataLength));
        }
        return tensors;
    }

    private static StoredTensor parseEntry(Path file, String name, JsonNode entry, long dataStart,
                                           long dataLength) {
        String where = file + ": tensor '" + name + "'";
        if (!entry.isObject()) {
            throw new CheckpointException(where + ": header entry is not an object: " + entry);
        }
        JsonNode dtypeNode = entry.get("dtype");
        DType dtype = dtypeNode != null && dtypeNode.isTextual() ? DType.fromSafetensors(dtypeNode.asText()) : null;
        if (dtype == null) {
            throw new CheckpointException(where + ": unknown dtype " + dtypeNode);
        }
        long[] shape = nonNegativeLongs(entry.get("shape"), -1, where + ": shape");
        long[] offsets = nonNegativeLongs(entry.get("data_offsets"), 2, where + ": data_offsets");
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataLength) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end
                    + "] are outside the data region of " + dataLength + " bytes");
        }
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(StoredTensor.numel(shape), dtype.bytes());
        } catch (ArithmeticException e) {
            throw new CheckpointException(where + ": shape " + StoredTensor.shapeString(shape)
                    + " overflows a 64-bit byte count", e);
        }
        if (end - begin != expectedBytes) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end + "] hold "
                    + (end - begin) + " bytes, but shape " + StoredTensor.shapeString(shape) + " of " + dtype
                    + " needs " + expectedBytes);
        }
        return StoredTensor.contiguous(file, name, dtype, shape, dataStart + begin);
    }

    /** A JSON array of non-negative integers that fit a long ({@code length} -1: any length). */
    private static long[] nonNegativeLongs(JsonNode node, int length, String what) {
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw new CheckpointException(what + " must be an array of " + (length >= 0 ? length + " " : "")
                    + "non-negative integers, got " + node);
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw new CheckpointException(what + " must be non-negative 64-bit integers, got " + node);
            }
            values[i] = v.asLong();
        }
        return values;
    }

    private static void readFully(FileChannel ch, ByteBuffer buffer, long position, Path file) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = ch.read(buffer, pos);
            if (n < 0) {
                throw new CheckpointException(file + ": unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }
}
