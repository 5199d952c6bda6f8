package io.readtwice.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.readtwice.testing.GoldenData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded, time-bounded fuzzing of the checkpoint readers with damaged and forged files derived from a golden model:
 * truncations, flipped bytes, forged lengths, offsets, shapes, dtypes and sizes in safetensors headers, in the ZIP
 * structure and in the pickle of pytorch_model.bin, and in config.json. Every case must either load or fail with a
 * {@link CheckpointException} within {@value #CASE_SECONDS} s: never another exception, a hang, or an
 * out-of-memory. A failure names the case's seed; {@code mutate(new Random(seed))} rebuilds its files.
 */
class CheckpointFuzzTest {
    private static final long SEED = 0x5eed_2024L;
    /** Wall-clock budget of one fuzz test; the seeds are fixed, so a slower machine runs a prefix of the same cases. */
    private static final long BUDGET_MILLIS = 4_000;
    private static final int MAX_CASES = 2_000;
    private static final int CASE_SECONDS = 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ExecutorService LOADER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fuzz-loader");
        t.setDaemon(true);
        return t;
    });

    @TempDir
    Path tmp;

    private final Path golden = GoldenData.model("tiny-a");

    @AfterAll
    static void stopLoader() {
        LOADER.shutdownNow();
    }

    private interface Mutation {
        /** Writes config.json and the weights file of one case into {@code dir}; returns what it did. */
        String apply(Random r, Path dir) throws IOException;
    }

    @Test
    void safetensorsFiles() throws Exception {
        byte[] original = Files.readAllBytes(golden.resolve("model.safetensors"));
        int headerLength = (int) ByteBuffer.wrap(original, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        byte[] header = Arrays.copyOfRange(original, 8, 8 + headerLength);
        byte[] data = Arrays.copyOfRange(original, 8 + headerLength, original.length);
        fuzz(WeightsFormat.SAFETENSORS, (r, dir) -> {
            copyConfig(dir);
            Path file = dir.resolve("model.safetensors");
            switch (r.nextInt(6)) {
                case 0 -> {
                    int length = r.nextInt(original.length);
                    Files.write(file, Arrays.copyOf(original, length));
                    return "truncated to " + length + " bytes";
                }
                case 1 -> {
                    long[] lengths = {0, 1, 2, headerLength - 1, headerLength + 1, original.length, -1, Long.MAX_VALUE,
                            1L << 40, Integer.MAX_VALUE, r.nextLong()};
                    long length = lengths[r.nextInt(lengths.length)];
                    byte[] bytes = original.clone();
                    ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(length);
                    Files.write(file, bytes);
                    return "header length field " + length;
                }
                case 2 -> {
                    byte[] edited = flip(r, header, 1 + r.nextInt(8));
                    SafetensorsWriter.write(file, edited, data);
                    return "header bytes flipped";
                }
                case 3 -> {
                    ObjectNode root = (ObjectNode) JSON.readTree(header);
                    List<String> names = new ArrayList<>();
                    root.fieldNames().forEachRemaining(names::add);
                    String name = names.get(r.nextInt(names.size()));
                    String field = List.of("shape", "data_offsets", "dtype", "entry").get(r.nextInt(4));
                    JsonNode value = hostileJson(r);
                    if (field.equals("entry")) {
                        root.set(name, value);
                    } else if (root.get(name) instanceof ObjectNode entry) {
                        entry.set(field, value);
                    }
                    SafetensorsWriter.write(file, JSON.writeValueAsBytes(root), data);
                    return "tensor '" + name + "' " + field + " = " + abbreviate(value.toString());
                }
                case 4 -> {
                    byte[] edited = splice(r, header);
                    SafetensorsWriter.write(file, edited, data);
                    return "header bytes inserted or deleted";
                }
                default -> {
                    String hostile = hostileDocument(r);
                    SafetensorsWriter.write(file, hostile.getBytes(StandardCharsets.UTF_8), data);
                    return "header replaced by " + abbreviate(hostile);
                }
            }
        });
    }

    @Test
    void pytorchZipAndPickle() throws Exception {
        Path bin = golden.resolve("pytorch_model.bin");
        byte[] original = Files.readAllBytes(bin);
        TorchZipArchive archive = TorchZipArchive.open(bin);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        String pickleName = null;
        for (TorchZipArchive.Entry e : archive.entries()) {
            entries.put(e.name(), Arrays.copyOfRange(original, (int) e.dataStart(), (int) (e.dataStart() + e.size())));
            if (e.name().endsWith("/data.pkl")) {
                pickleName = e.name();
            }
        }
        TorchZipArchive.Entry pickleEntry = archive.entry(pickleName);
        String pickle = pickleName;
        fuzz(WeightsFormat.PYTORCH, (r, dir) -> {
            copyConfig(dir);
            Path file = dir.resolve("pytorch_model.bin");
            switch (r.nextInt(6)) {
                case 0 -> {
                    int length = r.nextInt(original.length);
                    Files.write(file, Arrays.copyOf(original, length));
                    return "truncated to " + length + " bytes";
                }
                case 1 -> {
                    // the central directory and end records sit in the last few KB
                    byte[] bytes = original.clone();
                    int tail = Math.min(bytes.length, 4096);
                    for (int k = 0, n = 1 + r.nextInt(6); k < n; k++) {
                        bytes[bytes.length - 1 - r.nextInt(tail)] = (byte) r.nextInt(256);
                    }
                    Files.write(file, bytes);
                    return "ZIP directory bytes flipped";
                }
                case 2 -> {
                    byte[] bytes = original.clone();
                    for (int k = 0, n = 1 + r.nextInt(8); k < n; k++) {
                        int at = (int) pickleEntry.dataStart() + r.nextInt((int) pickleEntry.size());
                        bytes[at] = (byte) r.nextInt(256);
                    }
                    Files.write(file, bytes);
                    return "pickle bytes flipped in place";
                }
                case 3 -> {
                    Map<String, byte[]> edited = new LinkedHashMap<>(entries);
                    edited.put(pickle, r.nextBoolean() ? splice(r, entries.get(pickle))
                            : Arrays.copyOf(entries.get(pickle), r.nextInt(entries.get(pickle).length)));
                    writeZip(file, edited, r);
                    return "pickle bytes inserted, deleted or cut";
                }
                case 4 -> {
                    Map<String, byte[]> edited = new LinkedHashMap<>(entries);
                    edited.put(pickle, hostilePickle(r));
                    writeZip(file, edited, r);
                    return "forged pickle";
                }
                default -> {
                    byte[] bytes = original.clone();
                    int at = r.nextInt(bytes.length);
                    for (int k = 0, n = 1 + r.nextInt(16); k < n && at + k < bytes.length; k++) {
                        bytes[at + k] = (byte) r.nextInt(256);
                    }
                    Files.write(file, bytes);
                    return "bytes flipped at " + at;
                }
            }
        });
    }

    @Test
    void configFiles() throws Exception {
        byte[] config = Files.readAllBytes(golden.resolve("config.json"));
        byte[] weights = Files.readAllBytes(golden.resolve("model.safetensors"));
        List<String> fields = List.of("n_embd", "n_layer", "vocab_size", "n_inner", "pad_vocab_size_multiple",
                "n_positions", "layer_norm_epsilon", "alt_mixer_layers", "alt_mixer_2_layers", "rms_norm", "mixer",
                "alt_mixer", "alt_mixer_2", "activation_function");
        List<String> nested = List.of("num_heads", "feature_dim", "enc_length", "window_size", "expand_proj",
                "kernel_size", "head_dim", "_target_", "feature_map", "use_mask");
        fuzz(WeightsFormat.SAFETENSORS, (r, dir) -> {
            Files.write(dir.resolve("model.safetensors"), weights);
            Path file = dir.resolve("config.json");
            switch (r.nextInt(4)) {
                case 0 -> {
                    Files.write(file, flip(r, config, 1 + r.nextInt(6)));
                    return "config bytes flipped";
                }
                case 1 -> {
                    ObjectNode root = (ObjectNode) JSON.readTree(config);
                    String field = fields.get(r.nextInt(fields.size()));
                    JsonNode value = hostileJson(r);
                    root.set(field, value);
                    Files.write(file, JSON.writeValueAsBytes(root));
                    return field + " = " + abbreviate(value.toString());
                }
                case 2 -> {
                    ObjectNode root = (ObjectNode) JSON.readTree(config);
                    String mixer = List.of("mixer", "alt_mixer", "alt_mixer_2").get(r.nextInt(3));
                    String field = nested.get(r.nextInt(nested.size()));
                    JsonNode value = hostileJson(r);
                    if (root.get(mixer) instanceof ObjectNode m) {
                        m.set(field, value);
                    }
                    Files.write(file, JSON.writeValueAsBytes(root));
                    return mixer + "." + field + " = " + abbreviate(value.toString());
                }
                default -> {
                    String hostile = hostileDocument(r);
                    Files.writeString(file, hostile);
                    return "config replaced by " + abbreviate(hostile);
                }
            }
        });
    }

    /** Forged sizes that would need far more heap than the JVM has are refused before any allocation. */
    @Test
    void aModelThatCannotFitTheHeapIsRefusedBeforeReading() {
        Path weights = golden.resolve("model.safetensors");
        ModelCheckpoint real = CheckpointLoader.load(golden);
        WeightMapper mapper = new WeightMapper(real.config(), HubKeyNames.normalize(SafetensorsFile.readHeader(weights),
                weights), weights);
        mapper.checkHeap(Runtime.getRuntime().maxMemory());
        CheckpointException e = assertThrows(CheckpointException.class, () -> mapper.checkHeap(1 << 20));
        assertTrue(e.getMessage().contains("of heap as fp32 weights") && e.getMessage().contains("-Xmx"),
                e.getMessage());
    }

    private void fuzz(WeightsFormat format, Mutation mutation) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("case"));
        Map<String, Integer> outcomes = new TreeMap<>();
        long deadline = System.nanoTime() + BUDGET_MILLIS * 1_000_000;
        int cases = 0;
        for (int i = 0; i < MAX_CASES && System.nanoTime() < deadline; i++, cases++) {
            long seed = SEED * 1_000_003 + i;
            String what = mutation.apply(new Random(seed), dir);
            Future<?> load = LOADER.submit(() -> CheckpointLoader.load(dir, format));
            try {
                load.get(CASE_SECONDS, TimeUnit.SECONDS);
                outcomes.merge("loaded", 1, Integer::sum);
            } catch (TimeoutException e) {
                load.cancel(true);
                fail("case seed " + seed + " (" + what + ") did not finish in " + CASE_SECONDS + " s");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (!(cause instanceof CheckpointException)) {
                    throw new AssertionError("case seed " + seed + " (" + what + ") threw " + cause, cause);
                }
                // the loader's catch-all names other exceptions "malformed checkpoint"; count them apart
                boolean caughtByNet = cause.getMessage().contains(": malformed checkpoint (");
                outcomes.merge(caughtByNet ? "refused (catch-all)" : "refused", 1, Integer::sum);
                if (caughtByNet) {
                    System.out.println("  catch-all: seed " + seed + " (" + what + "): " + cause.getMessage());
                }
            }
        }
        System.out.println("CheckpointFuzzTest " + format + ": " + cases + " cases " + outcomes);
        assertTrue(cases >= 20, "too few cases in the budget: " + cases);
        assertTrue(outcomes.getOrDefault("refused", 0) > 0, outcomes.toString());
    }

    private void copyConfig(Path dir) throws IOException {
        Files.copy(golden.resolve("config.json"), dir.resolve("config.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeZip(Path file, Map<String, byte[]> entries, Random r) throws IOException {
        StoredZipWriter zip = new StoredZipWriter(r.nextBoolean(), 64);
        entries.forEach(zip::add);
        zip.write(file);
    }

    private static byte[] flip(Random r, byte[] bytes, int count) {
        byte[] out = bytes.clone();
        for (int k = 0; k < count; k++) {
            out[r.nextInt(out.length)] = (byte) r.nextInt(256);
        }
        return out;
    }

    /** Deletes a random range, or inserts random bytes at a random place. */
    private static byte[] splice(Random r, byte[] bytes) {
        int at = r.nextInt(bytes.length + 1);
        if (r.nextBoolean() && at < bytes.length) {
            int end = at + 1 + r.nextInt(Math.min(64, bytes.length - at));
            byte[] out = new byte[bytes.length - (end - at)];
            System.arraycopy(bytes, 0, out, 0, at);
            System.arraycopy(bytes, end, out, at, bytes.length - end);
            return out;
        }
        byte[] insert = new byte[1 + r.nextInt(16)];
        r.nextBytes(insert);
        byte[] out = new byte[bytes.length + insert.length];
        System.arraycopy(bytes, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(bytes, at, out, at + insert.length, bytes.length - at);
        return out;
    }

    /** A value for a field: out-of-range numbers, wrong types, huge sizes, deep nesting. */
    private static JsonNode hostileJson(Random r) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (r.nextInt(14)) {
            case 0 -> f.numberNode(-1);
            case 1 -> f.numberNode(0);
            case 2 -> f.numberNode(Integer.MAX_VALUE);
            case 3 -> f.numberNode(Long.MAX_VALUE);
            case 4 -> f.numberNode(new BigInteger("99999999999999999999999999"));
            case 5 -> f.numberNode(1e308);
            case 6 -> f.numberNode(1.5);
            case 7 -> f.textNode("F32");
            case 8 -> f.nullNode();
            case 9 -> f.arrayNode().add(1L << 40).add(1L << 40);
            case 10 -> f.arrayNode().add(r.nextInt(100)).add(r.nextInt(100)).add(-r.nextInt(5));
            case 11 -> f.objectNode().put("dtype", "BF16");
            case 12 -> {
                JsonNode deep = f.numberNode(1);
                for (int k = 0; k < 200; k++) {
                    deep = f.arrayNode().add(deep);
                }
                yield deep;
            }
            default -> f.arrayNode().add(Long.MAX_VALUE).add(Long.MAX_VALUE).add(Long.MAX_VALUE);
        };
    }

    /** A whole hostile JSON document: deep nesting, a wrong top-level type, invalid text, a long string. */
    private static String hostileDocument(Random r) {
        return switch (r.nextInt(7)) {
            case 0 -> "[".repeat(100_000);
            case 1 -> "{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000);
            case 2 -> "[1, 2, 3]";
            case 3 -> "null";
            case 4 -> "";
            case 5 -> "{\"x\": \"" + "a".repeat(2_000_000) + "\"}";
            default -> "{\"unterminated\": \"\uD800";
        };
    }

    /** A pickle built by hand: a forged tensor (huge or stride-0 sizes, bad storage keys), or garbage. */
    private static byte[] hostilePickle(Random r) {
        PickleWriter p = new PickleWriter().proto(2).orderedDict().binput(0).mark();
        long[][] sizes = {{1L << 40}, {1L << 20, 1L << 20}, {Long.MAX_VALUE}, {-1}, {3, 4}, {}};
        long[][] strides = {{0}, {0, 0}, {1}, {-1}, {4, 1}, {}};
        int kind = r.nextInt(sizes.length);
        String key = r.nextBoolean() ? "0" : "missing";
        long numel = List.of(1L, 12L, -5L, Long.MAX_VALUE, 1L << 40).get(r.nextInt(5));
        p.unicode("model.transformer.embeddings.word_embeddings.weight")
                .tensorV2(r.nextBoolean() ? "FloatStorage" : "HalfStorage", key, numel, r.nextInt(3) * (1L << 30),
                        sizes[kind], strides[kind], r.nextBoolean());
        if (r.nextBoolean()) {
            // nesting far deeper than a state dict: MARK after MARK
            for (int k = 0; k < 50_000; k++) {
                p.mark();
            }
        }
        return p.setitems().stop().bytes();
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "…";
    }
}
