package io.readtwice.checkpoint;

import io.readtwice.testing.GoldenData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TorchZipArchiveTest {
    @TempDir
    Path tmp;

    /** java.util.zip is the oracle for the golden archives: same names, sizes and bytes. */
    @Test
    void goldenArchiveAgreesWithJavaUtilZip() throws IOException {
        Path bin = GoldenData.model("tiny-a").resolve("pytorch_model.bin");
        TorchZipArchive archive = TorchZipArchive.open(bin);
        try (ZipFile zip = new ZipFile(bin.toFile())) {
            assertEquals(zip.size(), archive.entries().size());
            for (ZipEntry e : Collections.list(zip.entries())) {
                TorchZipArchive.Entry ours = archive.storedEntry(e.getName());
                assertEquals(e.getSize(), ours.size(), e.getName());
                if (e.getSize() < 100_000) {
                    assertArrayEquals(readAll(zip, e), bytesAt(bin, ours), e.getName());
                }
            }
        }
    }

    @Test
    void readsAZip64ArchiveWithAlignedEntries() throws IOException {
        byte[] big = new byte[1000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 7);
        }
        Path file = new StoredZipWriter(true, 64)
                .add("archive/data.pkl", "pickle".getBytes(StandardCharsets.US_ASCII))
                .add("archive/data/0", big)
                .add("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII))
                .write(tmp.resolve("zip64.bin"));
        // the writer is checked against java.util.zip too, so this test does not just agree with itself
        try (ZipFile zip = new ZipFile(file.toFile())) {
            assertArrayEquals(big, readAll(zip, zip.getEntry("archive/data/0")));
        }
        TorchZipArchive archive = TorchZipArchive.open(file);
        assertEquals(3, archive.entries().size());
        TorchZipArchive.Entry data = archive.storedEntry("archive/data/0");
        assertEquals(0, data.dataStart() % 64);
        assertEquals(1000, data.size());
        assertArrayEquals(big, bytesAt(file, data));
        assertArrayEquals("pickle".getBytes(StandardCharsets.US_ASCII),
                archive.readSmallEntry("archive/data.pkl", 100));
    }

    @Test
    void compressedEntriesAreRefused() throws IOException {
        Path file = tmp.resolve("deflated.bin");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(file))) {
            out.putNextEntry(new ZipEntry("archive/data.pkl"));
            out.write(new byte[500]);
            out.closeEntry();
        }
        TorchZipArchive archive = TorchZipArchive.open(file);
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> archive.storedEntry("archive/data.pkl"));
        assertTrue(e.getMessage().contains("compressed") && e.getMessage().contains("archive/data.pkl")
                && e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void truncatedArchiveIsRefused() throws IOException {
        byte[] whole = Files.readAllBytes(GoldenData.model("tiny-a").resolve("pytorch_model.bin"));
        Path half = Files.write(tmp.resolve("half.bin"), Arrays.copyOf(whole, whole.length / 2));
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchZipArchive.open(half));
        assertTrue(e.getMessage().contains(half.toString()) && e.getMessage().contains("truncated"), e.getMessage());

        // cut inside the central directory: the end record survives only if we keep the tail, so forge that
        Path noDirectory = Files.write(tmp.resolve("cd.bin"),
                concat(Arrays.copyOf(whole, 100), Arrays.copyOfRange(whole, whole.length - 22, whole.length)));
        e = assertThrows(CheckpointException.class, () -> TorchZipArchive.open(noDirectory));
        assertTrue(e.getMessage().contains("central directory"), e.getMessage());
    }

    @Test
    void legacyFormatAndNonZipFilesAreRefused() throws IOException {
        // pre-1.6 torch.save: a bare pickle starting with PROTO 2 and the magic number
        Path legacy = Files.write(tmp.resolve("legacy.bin"), new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c});
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchZipArchive.open(legacy));
        assertTrue(e.getMessage().contains("legacy") && e.getMessage().contains(legacy.toString()), e.getMessage());

        Path text = Files.write(tmp.resolve("text.bin"), "hello".getBytes(StandardCharsets.US_ASCII));
        e = assertThrows(CheckpointException.class, () -> TorchZipArchive.open(text));
        assertTrue(e.getMessage().contains("not a PyTorch zip checkpoint"), e.getMessage());
    }

    static byte[] bytesAt(Path file, TorchZipArchive.Entry e) throws IOException {
        byte[] all = Files.readAllBytes(file);
        return Arrays.copyOfRange(all, (int) e.dataStart(), (int) (e.dataStart() + e.size()));
    }

    private static byte[] readAll(ZipFile zip, ZipEntry e) throws IOException {
        try (InputStream in = zip.getInputStream(e)) {
            return in.readAllBytes();
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

}
