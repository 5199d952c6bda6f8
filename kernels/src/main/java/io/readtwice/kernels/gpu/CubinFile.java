package io.readtwice.kernels.gpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads what the artifact check needs from a CUDA cubin (ELF64, little-endian, machine 190 = EM_CUDA): the SM from
 * {@code e_flags} bits 8–15, the kernels (global FUNC symbols of {@code .symtab}), and the compile options in the
 * {@code .note.nv.tkinfo} note (the only place that tells sm_90a from sm_90 inside the ELF).
 */
public final class CubinFile {
    static final int EM_CUDA = 190;
    private static final int SHT_SYMTAB = 2;
    private static final int STT_FUNC = 2;
    private static final int STB_GLOBAL = 1;

    private final int sm;
    private final List<String> kernels;
    private final String toolOptions;
    private final java.util.Map<String, Long> textBytes;

    private CubinFile(int sm, List<String> kernels, String toolOptions, java.util.Map<String, Long> textBytes) {
        this.textBytes = textBytes;
        this.sm = sm;
        this.kernels = List.copyOf(kernels);
        this.toolOptions = toolOptions;
    }

    public int sm() {
        return sm;
    }

    /** Global function symbols: the kernel entry points. */
    public List<String> kernels() {
        return kernels;
    }

    /** The printable text of {@code .note.nv.tkinfo} (e.g. contains "-arch sm_90a"), or "" without one. */
    /** Bytes of machine code of {@code kernel} (its {@code .text.<kernel>} section), 0 when it has none. */
    public long textBytes(String kernel) {
        return textBytes.getOrDefault(kernel, 0L);
    }

    public String toolOptions() {
        return toolOptions;
    }

    public static CubinFile parse(byte[] elf, String name) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.length < 64 || b.getInt(0) != 0x464C457F || elf[4] != 2 || elf[5] != 1) {
            throw new IllegalArgumentException(name + " is not a little-endian ELF64 file");
        }
        int machine = Short.toUnsignedInt(b.getShort(18));
        if (machine != EM_CUDA) {
            throw new IllegalArgumentException(name + ": ELF machine " + machine + ", expected " + EM_CUDA + " (CUDA)");
        }
        int flags = b.getInt(48);
        long shoff = b.getLong(40);
        int shentsize = Short.toUnsignedInt(b.getShort(58));
        int shnum = Short.toUnsignedInt(b.getShort(60));
        int shstrndx = Short.toUnsignedInt(b.getShort(62));
        if (shoff + (long) shentsize * shnum > elf.length) {
            throw new IllegalArgumentException(name + ": section headers run past the end of the file");
        }
        Section[] sections = new Section[shnum];
        for (int i = 0; i < shnum; i++) {
            int at = Math.toIntExact(shoff + (long) i * shentsize);
            sections[i] = new Section(b.getInt(at), b.getInt(at + 4), b.getLong(at + 24), b.getLong(at + 32),
                    b.getInt(at + 40), b.getLong(at + 56));
        }
        Section names = sections[shstrndx];
        List<String> kernels = new ArrayList<>();
        String toolOptions = "";
        java.util.Map<String, Long> text = new java.util.HashMap<>();
        for (Section s : sections) {
            String sectionName = string(elf, names.offset + s.nameIndex);
            if (sectionName.startsWith(".text.")) {
                text.put(sectionName.substring(".text.".length()), s.size);
            }
            if (s.type == SHT_SYMTAB) {
                Section strings = sections[s.link];
                for (long at = s.offset; at + 24 <= s.offset + s.size; at += Math.max(24, s.entrySize)) {
                    int p = Math.toIntExact(at);
                    int info = elf[p + 4] & 0xFF;
                    if ((info & 0xF) == STT_FUNC && (info >> 4) == STB_GLOBAL) {
                        kernels.add(string(elf, strings.offset + Integer.toUnsignedLong(b.getInt(p))));
                    }
                }
            } else if (sectionName.equals(".note.nv.tkinfo")) {
                toolOptions = printable(elf, s.offset, s.size);
            }
        }
        return new CubinFile((flags >> 8) & 0xFF, kernels, toolOptions, java.util.Map.copyOf(text));
    }

    private record Section(int nameIndex, int type, long offset, long size, int link, long entrySize) {
    }

    private static String string(byte[] elf, long offset) {
        int start = Math.toIntExact(offset);
        int end = start;
        while (end < elf.length && elf[end] != 0) {
            end++;
        }
        return new String(elf, start, end - start, StandardCharsets.US_ASCII);
    }

    /** Runs of printable ASCII joined by spaces. */
    private static String printable(byte[] elf, long offset, long size) {
        StringBuilder text = new StringBuilder();
        for (long i = offset; i < offset + size && i < elf.length; i++) {
            int c = elf[(int) i] & 0xFF;
            if (c >= 0x20 && c < 0x7F) {
                text.append((char) c);
            } else if (text.length() > 0 && text.charAt(text.length() - 1) != ' ') {
                text.append(' ');
            }
        }
        return text.toString().trim();
    }
}
