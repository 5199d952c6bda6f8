package io.readtwice.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ZIP container of a {@code torch.save} file, read from its central directory (ZIP64 included, since real
 * checkpoints are 1.4–5 GB). PyTorch stores every entry uncompressed, so an entry is just a byte range of the
 * file: this class finds the ranges and never inflates or copies an entry. Sizes come from the central
 * directory, because PyTorch's writer leaves them zero in the local headers (it uses data descriptors), and the
 * data start comes from the local header, whose extra field (PyTorch's alignment padding) differs from the
 * central one.
 */
final class TorchZipArchive {
    private static final int LOCAL_HEADER_SIG = 0x04034b50;
    private static final int CENTRAL_HEADER_SIG = 0x02014b50;
    private static final int END_SIG = 0x06054b50;
    private static final int ZIP64_END_SIG = 0x06064b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int END_LENGTH = 22;
    private static final int ZIP64_LOCATOR_LENGTH = 20;
    private static final int ZIP64_END_LENGTH = 56;
    private static final int CENTRAL_HEADER_LENGTH = 46;
    private static final int LOCAL_HEADER_LENGTH = 30;
    private static final int MAX_COMMENT = 0xffff;
    private static final int ZIP64_EXTRA_ID = 0x0001;
    private static final long U32_MAX = 0xffffffffL;
    private static final int STORED = 0;

    /** One archive member: its data is {@code size} bytes at absolute file position {@code dataStart}. */
    record Entry(String name, int method, int flags, long dataStart, long compressedSize, long size) {
        boolean isEncrypted() {
            return (flags & 1) != 0;
        }
    }

    private final Path file;
    private final Map<String, Entry> entries;

    private TorchZipArchive(Path file, Map<String, Entry> entries) {
        this.file = file;
        this.entries = entries;
    }

    Path file() {
        return file;
    }

    Collection<Entry> entries() {
        return Collections.unmodifiableCollection(entries.values());
    }

    /** The entry, or null. */
    Entry entry(String name) {
        return entries.get(name);
    }

    /** The named entry, which must exist and be stored uncompressed and unencrypted. */
    Entry storedEntry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new CheckpointException(file + ": archive has no entry '" + name + "'");
        }
        if (e.isEncrypted()) {
            throw new CheckpointException(file + ": entry '" + name + "' is encrypted");
        }
        if (e.method() != STORED) {
            throw new CheckpointException(file + ": entry '" + name + "' is compressed (ZIP method " + e.method()
                    + "); torch.save stores entries uncompressed (method 0), re-save the checkpoint with torch.save");
        }
        return e;
    }

    /** The bytes of a small stored entry (the pickle, the byteorder marker), refusing anything over maxBytes. */
    byte[] readSmallEntry(String name, int maxBytes) {
        Entry e = storedEntry(name);
        if (e.size() > maxBytes) {
            throw new CheckpointException(file + ": entry '" + name + "' has " + e.size()
                    + " bytes, more than the " + maxBytes + " allowed");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate((int) e.size());
            readFully(ch, buffer, e.dataStart());
            return buffer.array();
        } catch (IOException ex) {
            throw new CheckpointException(file + ": cannot read entry '" + name + "': " + ex.getMessage(), ex);
        }
    }

    static TorchZipArchive open(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return new TorchZipArchive(file, readCentralDirectory(file, ch));
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Map<String, Entry> readCentralDirectory(Path file, FileChannel ch) throws IOException {
        long fileSize = ch.size();
        checkMagic(file, ch, fileSize);

        // End of central directory: 22 bytes plus a comment of up to 64 KiB at the very end of the file.
        int tailLength = (int) Math.min(fileSize, END_LENGTH + MAX_COMMENT);
        ByteBuffer tail = read(ch, fileSize - tailLength, tailLength);
        int endInTail = -1;
        for (int p = tailLength - END_LENGTH; p >= 0; p--) {
            if (tail.getInt(p) == END_SIG && p + END_LENGTH + u16(tail, p + 20) == tailLength) {
                endInTail = p;
                break;
            }
        }
        if (endInTail < 0) {
            throw new CheckpointException(file + ": no ZIP end-of-central-directory record in the last "
                    + tailLength + " bytes (truncated file?)");
        }
        long endPos = fileSize - tailLength + endInTail;
        long entryCount = u16(tail, endInTail + 10);
        long cdSize = u32(tail, endInTail + 12);
        long cdOffset = u32(tail, endInTail + 16);
        long cdLimit = endPos;

        // ZIP64: a locator just before the end record points at the 64-bit end record.
        if (endPos >= ZIP64_LOCATOR_LENGTH
                && read(ch, endPos - ZIP64_LOCATOR_LENGTH, 4).getInt(0) == ZIP64_LOCATOR_SIG) {
            ByteBuffer locator = read(ch, endPos - ZIP64_LOCATOR_LENGTH, ZIP64_LOCATOR_LENGTH);
            long zip64EndPos = locator.getLong(8);
            if (zip64EndPos < 0 || zip64EndPos > endPos - ZIP64_LOCATOR_LENGTH - ZIP64_END_LENGTH) {
                throw new CheckpointException(file + ": ZIP64 end record offset " + zip64EndPos
                        + " is outside the file (truncated file?)");
            }
            ByteBuffer end64 = read(ch, zip64EndPos, ZIP64_END_LENGTH);
            if (end64.getInt(0) != ZIP64_END_SIG) {
                throw new CheckpointException(file + ": no ZIP64 end-of-central-directory record at offset "
                        + zip64EndPos);
            }
            entryCount = end64.getLong(32);
            cdSize = end64.getLong(40);
            cdOffset = end64.getLong(48);
            cdLimit = zip64EndPos;
        } else if (entryCount == 0xffff || cdSize == U32_MAX || cdOffset == U32_MAX) {
            throw new CheckpointException(file + ": end record needs ZIP64 values but has no ZIP64 locator");
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > cdLimit || cdSize > cdLimit - cdOffset) {
            throw new CheckpointException(file + ": central directory [" + cdOffset + ", +" + cdSize
                    + ") runs past its end record at " + cdLimit + " (truncated file?)");
        }
        if (cdSize > Integer.MAX_VALUE || entryCount < 0 || entryCount > cdSize / CENTRAL_HEADER_LENGTH) {
            throw new CheckpointException(file + ": central directory of " + cdSize + " bytes cannot hold "
                    + entryCount + " entries");
        }

        ByteBuffer cd = ch.map(FileChannel.MapMode.READ_ONLY, cdOffset, cdSize).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, Entry> entries = new LinkedHashMap<>();
        int p = 0;
        for (long i = 0; i < entryCount; i++) {
            if (p > cd.limit() - CENTRAL_HEADER_LENGTH || cd.getInt(p) != CENTRAL_HEADER_SIG) {
                throw new CheckpointException(file + ": central directory entry " + i + " at offset "
                        + (cdOffset + p) + " is malformed");
            }
            int flags = u16(cd, p + 8);
            int method = u16(cd, p + 10);
            long compressedSize = u32(cd, p + 20);
            long size = u32(cd, p + 24);
            int nameLength = u16(cd, p + 28);
            int extraLength = u16(cd, p + 30);
            int commentLength = u16(cd, p + 32);
            long localOffset = u32(cd, p + 42);
            int next = p + CENTRAL_HEADER_LENGTH + nameLength + extraLength + commentLength;
            if (next > cd.limit()) {
                throw new CheckpointException(file + ": central directory entry " + i + " runs past the directory");
            }
            byte[] nameBytes = new byte[nameLength];
            cd.get(p + CENTRAL_HEADER_LENGTH, nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);

            // ZIP64 extra field: 64-bit values for exactly those fields saturated at 0xffffffff, in this order.
            int extra = p + CENTRAL_HEADER_LENGTH + nameLength;
            int extraEnd = extra + extraLength;
            while (extra + 4 <= extraEnd) {
                int id = u16(cd, extra);
                int length = u16(cd, extra + 2);
                int value = extra + 4;
                if (value + length > extraEnd) {
                    throw new CheckpointException(file + ": entry '" + name + "' has a malformed extra field");
                }
                if (id == ZIP64_EXTRA_ID) {
                    int end = value + length;
                    if (size == U32_MAX) {
                        size = zip64Value(cd, value, end, file, name);
                        value += 8;
                    }
                    if (compressedSize == U32_MAX) {
                        compressedSize = zip64Value(cd, value, end, file, name);
                        value += 8;
                    }
                    if (localOffset == U32_MAX) {
                        localOffset = zip64Value(cd, value, end, file, name);
                    }
                }
                extra += 4 + length;
            }
            if (size < 0 || compressedSize < 0 || localOffset < 0 || localOffset > cdOffset - LOCAL_HEADER_LENGTH) {
                throw new CheckpointException(file + ": entry '" + name + "' has an invalid local header offset "
                        + localOffset + " or size " + size);
            }
            ByteBuffer local = read(ch, localOffset, LOCAL_HEADER_LENGTH);
            if (local.getInt(0) != LOCAL_HEADER_SIG) {
                throw new CheckpointException(file + ": entry '" + name + "' has no local header at offset "
                        + localOffset);
            }
            long dataStart = localOffset + LOCAL_HEADER_LENGTH + u16(local, 26) + u16(local, 28);
            if (compressedSize > cdOffset - dataStart) {
                throw new CheckpointException(file + ": entry '" + name + "' (" + compressedSize + " bytes at "
                        + dataStart + ") overlaps the central directory at " + cdOffset);
            }
            if (method == STORED && compressedSize != size) {
                throw new CheckpointException(file + ": stored entry '" + name + "' has compressed size "
                        + compressedSize + " but size " + size);
            }
            if (entries.put(name, new Entry(name, method, flags, dataStart, compressedSize, size)) != null) {
                throw new CheckpointException(file + ": duplicate entry '" + name + "'");
            }
            p = next;
        }
        return entries;
    }

    /** Refuse, with a useful message, the files that are not ZIP archives at all. */
    private static void checkMagic(Path file, FileChannel ch, long fileSize) throws IOException {
        if (fileSize >= 4 && read(ch, 0, 4).getInt(0) == LOCAL_HEADER_SIG) {
            return;
        }
        if (fileSize >= 2 && (read(ch, 0, 1).get(0) & 0xff) == 0x80) {
            throw new CheckpointException(file + " is in the legacy (pre-1.6) torch.save format (a bare pickle), "
                    + "which is not supported: re-save it with a current PyTorch, or convert it to safetensors");
        }
        throw new CheckpointException(file + " is not a PyTorch zip checkpoint (no ZIP local header at offset 0)");
    }

    private static long zip64Value(ByteBuffer cd, int at, int end, Path file, String name) {
        if (at + 8 > end) {
            throw new CheckpointException(file + ": entry '" + name + "' has a ZIP64 extra field that is too short");
        }
        return cd.getLong(at);
    }

    private static ByteBuffer read(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, buffer, position);
        return buffer.flip();
    }

    private static void readFully(FileChannel ch, ByteBuffer buffer, long position) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = ch.read(buffer, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    private static int u16(ByteBuffer b, int at) {
        return b.getShort(at) & 0xffff;
    }

    private static long u32(ByteBuffer b, int at) {
        return b.getInt(at) & U32_MAX;
    }
}
