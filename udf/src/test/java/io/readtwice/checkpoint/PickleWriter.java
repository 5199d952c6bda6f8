package io.readtwice.checkpoint;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes pickle opcodes by hand, so tests can build the state dicts {@code torch.save} writes (and hostile ones)
 * without Python. Method names are the opcode names of CPython's pickletools.
 */
final class PickleWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    byte[] bytes() {
        return out.toByteArray();
    }

    PickleWriter proto(int version) {
        return op(0x80).u8(version);
    }

    PickleWriter global(String module, String name) {
        op('c');
        raw((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    PickleWriter inst(String module, String name) {
        op('i');
        raw((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    PickleWriter stackGlobal() {
        return op(0x93);
    }

    PickleWriter unicode(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X').u32(b.length);
        return raw(b);
    }

    PickleWriter shortUnicode(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op(0x8c).u8(b.length);
        return raw(b);
    }

    /** Smallest integer opcode, as pickle chooses. */
    PickleWriter integer(long v) {
        if (v >= 0 && v < 256) {
            return op('K').u8((int) v);
        }
        if (v >= 0 && v < 65536) {
            op('M');
            out.write((int) v & 0xff);
            out.write((int) (v >>> 8) & 0xff);
            return this;
        }
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            return op('J').u32((int) v);
        }
        op(0x8a).u8(8); // LONG1 with 8 little-endian bytes
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
        return this;
    }

    PickleWriter bool(boolean v) {
        return op(v ? 0x88 : 0x89);
    }

    PickleWriter none() {
        return op('N');
    }

    PickleWriter mark() {
        return op('(');
    }

    PickleWriter tuple() {
        return op('t');
    }

    PickleWriter emptyTuple() {
        return op(')');
    }

    PickleWriter tuple1() {
        return op(0x85);
    }

    PickleWriter tuple2() {
        return op(0x86);
    }

    PickleWriter tuple3() {
        return op(0x87);
    }

    /** A tuple of small ints, as torch writes sizes and strides. */
    PickleWriter intTuple(long... values) {
        if (values.length == 0) {
            return emptyTuple();
        }
        mark();
        for (long v : values) {
            integer(v);
        }
        return tuple();
    }

    PickleWriter emptyDict() {
        return op('}');
    }

    PickleWriter emptyList() {
        return op(']');
    }

    PickleWriter setitem() {
        return op('s');
    }

    PickleWriter setitems() {
        return op('u');
    }

    PickleWriter appends() {
        return op('e');
    }

    PickleWriter reduce() {
        return op('R');
    }

    PickleWriter build() {
        return op('b');
    }

    PickleWriter binpersid() {
        return op('Q');
    }

    PickleWriter binput(int index) {
        return op('q').u8(index);
    }

    PickleWriter binget(int index) {
        return op('h').u8(index);
    }

    PickleWriter stop() {
        return op('.');
    }

    /** Any opcode byte, for the forbidden ones (OBJ, NEWOBJ, EXT1 ...). */
    PickleWriter op(int opcode) {
        out.write(opcode);
        return this;
    }

    PickleWriter u8(int v) {
        out.write(v & 0xff);
        return this;
    }

    PickleWriter u32(int v) {
        for (int i = 0; i < 4; i++) {
            out.write((v >>> (8 * i)) & 0xff);
        }
        return this;
    }

    PickleWriter raw(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    // --- the state-dict idioms of torch.save ---

    /** {@code OrderedDict()}: GLOBAL, EMPTY_TUPLE, REDUCE. */
    PickleWriter orderedDict() {
        return global("collections", "OrderedDict").emptyTuple().reduce();
    }

    /** The persistent id of a storage, then BINPERSID. */
    PickleWriter storage(String storageClass, String key, long numel) {
        mark().unicode("storage").global("torch", storageClass).unicode(key).unicode("cpu").integer(numel).tuple();
        return binpersid();
    }

    /**
     * {@code _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())} as torch.save writes it;
     * {@code extraArg} appends a 7th argument (an empty dict) as newer PyTorch does.
     */
    PickleWriter tensorV2(String storageClass, String key, long numel, long offset, long[] size, long[] stride,
                          boolean extraArg) {
        global("torch._utils", "_rebuild_tensor_v2").mark();
        storage(storageClass, key, numel).integer(offset).intTuple(size).intTuple(stride).bool(false).orderedDict();
        if (extraArg) {
            emptyDict();
        }
        return tuple().reduce();
    }
}
