package io.readtwice.checkpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {
    @TempDir
    Path tmp;

    @Test
    void readsF32F16AndBf16() throws IOException {
        float[] values = {1.5f, -2.0f, 0.25f, 65504f, 0x1p-24f, -0.0f};
        ByteBuffer data = ByteBuffer.allocate(24 + 12 + 12).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            data.putFloat(v);
        }
        short[] halves = {0x3e00, (short) 0xc000, 0x3400, 0x7bff, 0x0001, (short) 0x8000};
        for (short h : halves) {
            data.putShort(h);
        }
        for (float v : values) {
            data.putShort((short) (Float.floatToRawIntBits(v) >>> 16)); // all exact in bf16 except 65504
        }
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[6],\"data_offsets\":[24,36]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[3,2],\"data_offsets\":[36,48]}}";
        Path file = SafetensorsWriter.write(tmp.resolve("m.safetensors"), header, data.array());
        Map<String, StoredTensor> tensors = SafetensorsFile.readHeader(file);
        assertEquals(java.util.List.of("a", "b", "c"), java.util.List.copyOf(tensors.keySet()));
        try (TensorReader reader = new TensorReader(file)) {
            assertArrayEquals(values, reader.readFloats(tensors.get("a")));
            assertArrayEquals(values, reader.readFloats(tensors.get("b")));
            float[] bf = reader.readFloats(tensors.get("c"));
            assertEquals(65280f, bf[3]); // 65504 truncated to bf16's 8-bit mantissa
            assertEquals(1.5f, bf[0]);
            assertEquals(0x1p-24f, bf[4]);
        }
    }

    /** A range mapped in many chunks reads the same as one mapping (the > 2 GiB path, at test scale). */
    @Test
    void chunkedMappingGivesTheSameValues() throws IOException {
        int n = 1001;
        ByteBuffer data = ByteBuffer.allocate(4 + n * 4 + n * 2).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(42f); // a leading tensor, so the next one starts off any chunk boundary of the file
        for (int i = 0; i < n; i++) {
            data.putFloat(i * 0.5f - 100);
        }
        for (int i = 0; i < n; i++) {
            data.putShort((short) (Float.floatToRawIntBits(i - 500f) >>> 16));
        }
        String header = "{\"pad\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"f\":{\"dtype\":\"F32\",\"shape\":[7,143],\"data_offsets\":[4," + (4 + 4 * n) + "]},"
                + "\"h\":{\"dtype\":\"BF16\",\"shape\":[" + n + "],\"data_offsets\":[" + (4 + 4 * n) + ","
                + (4 + 6 * n) + "]}}";
        Path file = SafetensorsWriter.write(tmp.resolve("m.safetensors"), header, data.array());
        Map<String, StoredTensor> tensors = SafetensorsFile.readHeader(file);
        try (TensorReader whole = new TensorReader(file); TensorReader chunked = new TensorReader(file, 24)) {
            for (String name : new String[] {"f", "h"}) {
                float[] expected = whole.readFloats(tensors.get(name));
                assertArrayEquals(expected, chunked.readFloats(tensors.get(name)), name);
            }
            assertEquals(-100f, whole.readFloats(tensors.get("f"))[0]);
            assertEquals(400f, whole.readFloats(tensors.get("h"))[900]);
        }
    }

    @Test
    void hugeHeaderLengthFailsWithoutAllocating() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 60).putLong(0);
        Path file = Files.write(tmp.resolve("forged.safetensors"), b.array());
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.readHeader(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("1152921504606846976"),
                e.getMessage());

        ByteBuffer negative = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-8).putLong(0);
        Path file2 = Files.write(tmp.resolve("forged2.safetensors"), negative.array());
        e = assertThrows(CheckpointException.class, () -> SafetensorsFile.readHeader(file2));
        assertTrue(e.getMessage().contains("18446744073709551608"), e.getMessage());
    }

    @Test
    void forgedDataOffsetsFailFast() throws IOException {
        assertRejects("{\"w\":{\"dtype\":\"F32\",\"shape\":[1073741824,1073741824],"
                + "\"data_offsets\":[0,4611686018427387904]}}", "'w'", "4611686018427387904", "outside");
        assertRejects("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
                + "\"data_offsets\":[0,8]}}", "'w'", "overflow");
        assertRejects("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]}}",
                "'w'", "[2, 3]", "needs 24");
        assertRejects("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", "'w'", "[8, 0]");
        assertRejects("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "'w'", "shape");
        assertRejects("{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", "'w'", "Q4");
        assertRejects("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", "'w'", "data_offsets");
        assertRejects("[1,2]", "not a JSON object");
        assertRejects("{\"w\":", "not valid JSON");
    }

    @Test
    void headerLongerThanTheFileIsReportedAsTruncated() throws IOException {
        byte[] header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}".getBytes();
        ByteBuffer b = ByteBuffer.allocate(8 + 10).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length)
                .put(header, 0, 10);
        Path file = Files.write(tmp.resolve("cut.safetensors"), b.array());
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.readHeader(file));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(file.toString()), e.getMessage());
    }

    private void assertRejects(String header, String... mustMention) throws IOException {
        Path file = SafetensorsWriter.write(tmp.resolve("bad.safetensors"), header, new byte[32]);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.readHeader(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        for (String s : mustMention) {
            assertTrue(e.getMessage().contains(s), "message lacks '" + s + "': " + e.getMessage());
        }
    }
}
