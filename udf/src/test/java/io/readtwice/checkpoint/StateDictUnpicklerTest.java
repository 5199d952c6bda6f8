package io.readtwice.checkpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hand-written torch.save pickles: the layouts real files may use, and hostile ones. */
class StateDictUnpicklerTest {
    private static final long[] NONE = {};

    @TempDir
    Path tmp;

    /** A transposed view at a non-zero offset, and a second tensor sharing the same storage. */
    @Test
    void honoursOffsetsStridesAndSharedStorage() throws IOException {
        PickleWriter p = new PickleWriter().proto(2).orderedDict().binput(0).mark();
        // storage 0 = [0, 1, ..., 11]; a 2x3 matrix [[2,3,4],[5,6,7]] starts at element 2
        p.unicode("model.t").tensorV2("FloatStorage", "0", 12, 2, new long[] {3, 2}, new long[] {1, 3}, false);
        p.unicode("model.row").tensorV2("FloatStorage", "0", 12, 5, new long[] {3}, new long[] {1}, false);
        p.unicode("model.col").tensorV2("FloatStorage", "0", 12, 1, new long[] {4}, new long[] {3}, false);
        p.setitems().stop();
        Path file = writeBin("shared.bin", p.bytes(), Map.of("0", floats(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)),
                false);

        Map<String, StoredTensor> tensors = PytorchModelFile.readTensors(file);
        for (long chunk : new long[] {TensorReader.DEFAULT_CHUNK_BYTES, 8}) {
            try (TensorReader reader = new TensorReader(file, chunk)) {
                assertArrayEquals(new float[] {2, 5, 3, 6, 4, 7}, reader.readFloats(tensors.get("model.t")));
                assertArrayEquals(new float[] {5, 6, 7}, reader.readFloats(tensors.get("model.row")));
                assertArrayEquals(new float[] {1, 4, 7, 10}, reader.readFloats(tensors.get("model.col")));
            }
        }
        assertEquals(tensors.get("model.t").storageStart(), tensors.get("model.row").storageStart());
    }

    /** A state dict's _metadata attribute arrives through BUILD with nested dicts; it is read and ignored. */
    @Test
    void acceptsMetadataSetThroughBuild() throws IOException {
        PickleWriter p = new PickleWriter().proto(2).orderedDict().binput(0).mark();
        p.unicode("w").tensorV2("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1}, false);
        p.setitems();
        // state = {'_metadata': OrderedDict([('', {'version': 1}), ('mixer', {'version': 2, 'x': [None, 'a']})])}
        p.emptyDict().unicode("_metadata").orderedDict().mark();
        p.unicode("").emptyDict().unicode("version").integer(1).setitem();
        p.unicode("mixer").emptyDict().mark().unicode("version").integer(2).unicode("x").emptyList().mark()
                .none().unicode("a").appends().setitems();
        p.setitems().setitem().build().stop();
        Path file = writeBin("meta.bin", p.bytes(), Map.of("0", floats(3, 4)), false);
        Map<String, StoredTensor> tensors = PytorchModelFile.readTensors(file);
        try (TensorReader reader = new TensorReader(file)) {
            assertArrayEquals(new float[] {3, 4}, reader.readFloats(tensors.get("w")));
        }
    }

    /** _rebuild_tensor_v3 with an explicit dtype, a 7th argument to v2, _rebuild_parameter, a 0-dim int64. */
    @Test
    void acceptsV3SeventhArgumentParametersAndScalars() throws IOException {
        PickleWriter p = new PickleWriter().proto(2).orderedDict().binput(0).mark();
        p.unicode("half").global("torch._utils", "_rebuild_tensor_v3").mark()
                .storage("HalfStorage", "0", 3).integer(1).intTuple(2).intTuple(1).bool(false).orderedDict()
                .global("torch", "float16").none().tuple().reduce();
        p.unicode("v2seven").tensorV2("FloatStorage", "1", 2, 0, new long[] {1, 2}, new long[] {2, 1}, true);
        p.unicode("param").global("torch._utils", "_rebuild_parameter").mark()
                .tensorV2("BFloat16Storage", "2", 2, 0, new long[] {2}, new long[] {1}, false)
                .bool(true).orderedDict().tuple().reduce();
        p.unicode("train_metrics.num-tokens.count")
                .tensorV2("LongStorage", "3", 1, 0, NONE, NONE, false);
        p.setitems().stop();
        Map<String, byte[]> storages = new LinkedHashMap<>();
        storages.put("0", shorts((short) 0x3c00, (short) 0x4000, (short) 0xc200)); // 1, 2, -3
        storages.put("1", floats(7, 8));
        storages.put("2", shorts((short) 0x3f80, (short) 0x4040)); // 1, 3
        storages.put("3", ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(123456789L).array());
        Path file = writeBin("v3.bin", p.bytes(), storages, true);

        Map<String, StoredTensor> tensors = PytorchModelFile.readTensors(file);
        StoredTensor scalar = tensors.get("train_metrics.num-tokens.count");
        assertEquals(DType.I64, scalar.dtype());
        assertEquals(0, scalar.shape().length);
        assertEquals(1, scalar.numel());
        try (TensorReader reader = new TensorReader(file)) {
            assertArrayEquals(new float[] {2, -3}, reader.readFloats(tensors.get("half")));
            assertArrayEquals(new float[] {7, 8}, reader.readFloats(tensors.get("v2seven")));
            assertArrayEquals(new float[] {1, 3}, reader.readFloats(tensors.get("param")));
        }
        assertEquals(0, HubKeyNames.normalize(Map.of("train_metrics.num-tokens.count", scalar), file).size());
    }

    @Test
    void foreignGlobalsAreRejectedAndNeverCalled() throws IOException {
        // GLOBAL os.system called through REDUCE, as a malicious pickle would do
        PickleWriter os = new PickleWriter().proto(2).global("os", "system").unicode("touch pwned").tuple1()
                .reduce().stop();
        assertRejected(os, "'os.system'");
        // protocol-4 style STACK_GLOBAL builtins.eval
        PickleWriter eval = new PickleWriter().proto(2).shortUnicode("builtins").shortUnicode("eval").stackGlobal()
                .unicode("1+1").tuple1().reduce().stop();
        assertRejected(eval, "'builtins.eval'");
        // a foreign global nested inside an otherwise normal state dict
        PickleWriter nested = new PickleWriter().proto(2).orderedDict().mark().unicode("x")
                .global("torch", "load").emptyTuple().reduce().setitems().stop();
        assertRejected(nested, "'torch.load'");
        // torch.<something> that is neither a storage class nor a dtype
        assertRejected(new PickleWriter().proto(2).global("torch", "FakeStorage").stop(), "'torch.FakeStorage'");
    }

    @Test
    void objectCreationOpcodesAreRejected() throws IOException {
        assertRejected(new PickleWriter().proto(2).mark().inst("subprocess", "Popen").stop(), "INST",
                "'subprocess.Popen'");
        assertRejected(new PickleWriter().proto(2).mark().global("collections", "OrderedDict").op('o').stop(),
                "OBJ");
        assertRejected(new PickleWriter().proto(2).global("collections", "OrderedDict").emptyTuple().op(0x81)
                .stop(), "NEWOBJ");
        assertRejected(new PickleWriter().proto(2).op(0x82).u8(1).stop(), "EXT1");
    }

    @Test
    void malformedStateDictsAreRejected() throws IOException {
        // storage larger than its archive entry
        PickleWriter big = new PickleWriter().proto(2).orderedDict().mark().unicode("w")
                .tensorV2("FloatStorage", "0", 1000, 0, new long[] {1000}, new long[] {1}, false).setitems().stop();
        assertRejected(big, "storage '0'", "4000 bytes", "archive/data/0", "has only 8 bytes");
        // view reaching past its storage
        PickleWriter past = new PickleWriter().proto(2).orderedDict().mark().unicode("w")
                .tensorV2("FloatStorage", "0", 2, 1, new long[] {2}, new long[] {1}, false).setitems().stop();
        assertRejected(past, "tensor 'w'", "reaches byte 12", "8 bytes");
        // BUILD on something other than the state dict
        PickleWriter build = new PickleWriter().proto(2).orderedDict().mark().unicode("w")
                .tensorV2("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1}, false).emptyDict().build()
                .setitems().stop();
        assertRejected(build, "BUILD");
        // a non-tensor value
        assertRejected(new PickleWriter().proto(2).orderedDict().mark().unicode("w").integer(3).setitems().stop(),
                "entry 'w'", "expected a tensor");
        // a string length far beyond the pickle
        assertRejected(new PickleWriter().proto(2).op('X').u32(0x7fffffff).stop(), "BINUNICODE", "2147483647");
        // a persistent id that is not a storage tuple
        assertRejected(new PickleWriter().proto(2).unicode("x").binpersid().stop(), "persistent id");
        // not a pickle at all
        assertRejected(new PickleWriter().raw("garbage".getBytes(StandardCharsets.US_ASCII)), "malformed pickle");
    }

    private void assertRejected(PickleWriter pickle, String... mustMention) throws IOException {
        Path file = writeBin("bad.bin", pickle.bytes(), Map.of("0", floats(1, 2)), false);
        CheckpointException e = assertThrows(CheckpointException.class, () -> PytorchModelFile.readTensors(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        for (String s : mustMention) {
            assertTrue(e.getMessage().contains(s), "message lacks '" + s + "': " + e.getMessage());
        }
        assertTrue(!java.nio.file.Files.exists(Path.of("pwned")));
    }

    /** A torch.save archive with top folder {@code archive}. */
    Path writeBin(String name, byte[] pickle, Map<String, byte[]> storages, boolean zip64) throws IOException {
        StoredZipWriter zip = new StoredZipWriter(zip64, 64).add("archive/data.pkl", pickle);
        for (Map.Entry<String, byte[]> e : storages.entrySet()) {
            zip.add("archive/data/" + e.getKey(), e.getValue());
        }
        zip.add("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        zip.add("archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        return zip.write(tmp.resolve(name));
    }

    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] shorts(short... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : values) {
            b.putShort(v);
        }
        return b.array();
    }
}
