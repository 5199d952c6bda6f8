package io.readtwice.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/** Writes safetensors files for tests: from a header and data, or a golden file with its header edited. */
final class SafetensorsWriter {
    static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {
    }

    static Path write(Path file, byte[] headerJson, byte[] data) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerJson.length).array());
            out.write(headerJson);
            out.write(data);
        }
        return file;
    }

    static Path write(Path file, String headerJson, byte[] data) throws IOException {
        return write(file, headerJson.getBytes(StandardCharsets.UTF_8), data);
    }

    /** The JSON header of {@code src}. */
    static ObjectNode header(Path src) throws IOException {
        try (FileChannel ch = FileChannel.open(src, StandardOpenOption.READ)) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(length, 0);
            ByteBuffer header = ByteBuffer.allocate((int) length.getLong(0));
            ch.read(header, 8);
            return (ObjectNode) JSON.readTree(header.array());
        }
    }

    /** Copies {@code src} to {@code dst} with the header changed by {@code edit}; the data bytes are unchanged. */
    static Path copyWithHeader(Path src, Path dst, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode header = header(src);
        edit.accept(header);
        byte[] all = Files.readAllBytes(src);
        long oldLength = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        int dataStart = (int) (8 + oldLength);
        byte[] data = java.util.Arrays.copyOfRange(all, dataStart, all.length);
        return write(dst, JSON.writeValueAsBytes(header), data);
    }
}
