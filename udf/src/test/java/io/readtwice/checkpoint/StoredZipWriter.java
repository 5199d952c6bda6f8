package io.readtwice.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Writes an uncompressed ZIP the way PyTorch's writer does: general-purpose flag 0x0808 (UTF-8 names, sizes in
 * a data descriptor, zeros in the local header) and an "FB" extra field padding each entry's data to an
 * alignment. With {@code zip64} every size and offset goes through the ZIP64 extra fields and end records, as
 * in multi-GB checkpoints, even though the test archives are tiny.
 */
final class StoredZipWriter {
    private record Written(String name, long crc, long size, long localOffset) {
    }

    private final boolean zip64;
    private final int align;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final List<Written> written = new ArrayList<>();

    StoredZipWriter(boolean zip64, int align) {
        this.zip64 = zip64;
        this.align = align;
    }

    StoredZipWriter add(String name, byte[] data) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(data);
        long localOffset = out.size();
        int zip64ExtraLength = zip64 ? 4 + 16 : 0;
        long dataStartWithoutPadding = localOffset + 30 + nameBytes.length + zip64ExtraLength + 4;
        int padding = (int) ((align - dataStartWithoutPadding % align) % align);

        u32(0x04034b50);
        u16(zip64 ? 45 : 20);
        u16(0x0808);
        u16(0); // stored
        u16(0);
        u16(0);
        u32(0); // crc, sizes: in the data descriptor
        u32(0);
        u32(0);
        u16(nameBytes.length);
        u16(zip64ExtraLength + 4 + padding);
        out.writeBytes(nameBytes);
        if (zip64) {
            u16(0x0001);
            u16(16);
            u64(0);
            u64(0);
        }
        u16(0x4246); // "FB": PyTorch's padding field
        u16(padding);
        out.writeBytes(new byte[padding]);
        out.writeBytes(data);
        u32(0x08074b50);
        u32((int) crc.getValue());
        if (zip64) {
            u64(data.length);
            u64(data.length);
        } else {
            u32(data.length);
            u32(data.length);
        }
        written.add(new Written(name, crc.getValue(), data.length, localOffset));
        return this;
    }

    byte[] toBytes() {
        long cdOffset = out.size();
        for (Written w : written) {
            byte[] nameBytes = w.name().getBytes(StandardCharsets.UTF_8);
            u32(0x02014b50);
            u16(zip64 ? 45 : 20);
            u16(zip64 ? 45 : 20);
            u16(0x0808);
            u16(0);
            u16(0);
            u16(0);
            u32((int) w.crc());
            u32(zip64 ? -1 : (int) w.size());
            u32(zip64 ? -1 : (int) w.size());
            u16(nameBytes.length);
            u16(zip64 ? 4 + 24 : 0);
            u16(0);
            u16(0);
            u16(0);
            u32(0);
            u32(zip64 ? -1 : (int) w.localOffset());
            out.writeBytes(nameBytes);
            if (zip64) {
                u16(0x0001);
                u16(24);
                u64(w.size());
                u64(w.size());
                u64(w.localOffset());
            }
        }
        long cdSize = out.size() - cdOffset;
        if (zip64) {
            long end64 = out.size();
            u32(0x06064b50);
            u64(44);
            u16(45);
            u16(45);
            u32(0);
            u32(0);
            u64(written.size());
            u64(written.size());
            u64(cdSize);
            u64(cdOffset);
            u32(0x07064b50);
            u32(0);
            u64(end64);
            u32(1);
        }
        u32(0x06054b50);
        u16(0);
        u16(0);
        u16(zip64 ? 0xffff : written.size());
        u16(zip64 ? 0xffff : written.size());
        u32(zip64 ? -1 : (int) cdSize);
        u32(zip64 ? -1 : (int) cdOffset);
        u16(0);
        return out.toByteArray();
    }

    Path write(Path file) throws IOException {
        Files.write(file, toBytes());
        return file;
    }

    private void u16(int v) {
        out.write(v & 0xff);
        out.write((v >>> 8) & 0xff);
    }

    private void u32(int v) {
        u16(v);
        u16(v >>> 16);
    }

    private void u64(long v) {
        u32((int) v);
        u32((int) (v >>> 32));
    }
}
