package io.readtwice.kernels.gpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads nvcc's fatbin container (gpu-notes §2.3; cuobjdump is not in the build image): a 16-byte header
 * (magic {@code 0xBA55ED50}, version 1, header size, u64 size of the entries), then entries, each a header
 * (u16 kind: 1 = PTX, 2 = ELF cubin; u16 version; u32 header size; u64 payload size; u32 SM number at offset 28;
 * u64 flags at offset 40: bit 20 for arch-specific targets such as sm_90a, 0x2000/0x8000 for a compressed payload)
 * followed by its payload.
 */
public final class FatbinFile {
    static final int MAGIC = 0xBA55ED50;
    static final int KIND_PTX = 1;
    static final int KIND_ELF = 2;
    private static final long FLAG_COMPRESSED = 0x2000L | 0x8000L;  // LZ4 (older nvcc), zstd (nvcc 13)
    private static final long FLAG_ARCH_SPECIFIC = 0x100000L;

    /**
     * One code object.
     *
     * @param kind         {@link #KIND_PTX} or {@link #KIND_ELF}
     * @param sm           SM number, e.g. 90
     * @param archSpecific an "a" target (sm_90a): runs on exactly that SM
     * @param compressed   payload compressed (nvcc's default; our build passes --compress-mode=none)
     * @param payload      the PTX text or the cubin
     */
    public record Entry(int kind, int sm, boolean archSpecific, boolean compressed, byte[] payload) {
        /** e.g. "sm_90a cubin", "compute_80 ptx". */
        public String describe() {
            return (kind == KIND_PTX ? "compute_" : "sm_") + sm + (archSpecific ? "a" : "")
                    + (kind == KIND_PTX ? " ptx" : " cubin");
        }
    }

    private final List<Entry> entries;

    private FatbinFile(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Parses a whole fatbin; {@code name} only labels errors. */
    public static FatbinFile parse(byte[] bytes, String name) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 16 || b.getInt(0) != MAGIC) {
            throw new IllegalArgumentException(name + " is not a fatbin (length " + bytes.length + ", magic 0x"
                    + (bytes.length >= 4 ? Integer.toHexString(b.getInt(0)) : "?") + ", expected 0xba55ed50)");
        }
        int headerSize = Short.toUnsignedInt(b.getShort(6));
        long size = b.getLong(8);
        if (headerSize + size > bytes.length) {
            throw new IllegalArgumentException(name + ": header says " + size + " bytes of entries after "
                    + headerSize + ", the file has " + bytes.length);
        }
        List<Entry> entries = new ArrayList<>();
        long end = headerSize + size;
        long off = headerSize;
        while (off < end) {
            int at = Math.toIntExact(off);
            int kind = Short.toUnsignedInt(b.getShort(at));
            long entryHeader = Integer.toUnsignedLong(b.getInt(at + 4));
            long payloadSize = b.getLong(at + 8);
            if (entryHeader < 48 || off + entryHeader + payloadSize > end) {
                throw new IllegalArgumentException(name + ": bad entry at offset " + off + " (header " + entryHeader
                        + ", payload " + payloadSize + ", container ends at " + end + ")");
            }
            int sm = b.getInt(at + 28);
            long flags = b.getLong(at + 40);
            int from = Math.toIntExact(off + entryHeader);
            byte[] payload = java.util.Arrays.copyOfRange(bytes, from, Math.toIntExact(from + payloadSize));
            entries.add(new Entry(kind, sm, (flags & FLAG_ARCH_SPECIFIC) != 0, (flags & FLAG_COMPRESSED) != 0,
                    payload));
            off += entryHeader + payloadSize;
        }
        return new FatbinFile(entries);
    }
}
