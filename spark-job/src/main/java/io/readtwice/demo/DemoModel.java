package io.readtwice.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The demo's model until a trained one is bundled: a tiny JRT-RNN (the tiny-gpt2-jrt layout from
 * {@code model-tensors.tsv}, GPT-2 vocabulary) with deterministic random weights from a fixed seed, written once as
 * {@code config.json} + {@code model.safetensors} (float32) into a cache folder. It is UNTRAINED: it exercises
 * every stage of the job, and its answers are noise.
 */
public final class DemoModel {
    /** arXiv 2407.05483. */
    static final long SEED = 2407_05483L;
    public static final String VERSION_NAME = "demo-model-v1";
    private static final String RESOURCES = "/io/readtwice/demo/";

    private DemoModel() {
    }

    private record Tensor(String name, int[] shape) {
        long size() {
            long n = 1;
            for (int s : shape) {
                n *= s;
            }
            return n;
        }
    }

    /** The model folder under {@code cacheRoot}, written on first use. */
    public static Path ensure(Path cacheRoot) {
        Path dir = cacheRoot.resolve(VERSION_NAME);
        if (Files.isRegularFile(dir.resolve("model.safetensors")) && Files.isRegularFile(dir.resolve("config.json"))) {
            return dir;
        }
        try {
            Files.createDirectories(cacheRoot);
            Path tmp = Files.createTempDirectory(cacheRoot, VERSION_NAME + ".tmp");
            try (InputStream config = resource("model-config.json")) {
                Files.copy(config, tmp.resolve("config.json"));
            }
            writeSafetensors(tmp.resolve("model.safetensors"), tensors());
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
                    throw raced;
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo model into " + dir, e);
        }
    }

    /** The default cache: system property readtwice.cache.dir, else $XDG_CACHE_HOME/readtwice or ~/.cache/readtwice. */
    public static Path defaultCacheRoot() {
        String configured = System.getProperty("readtwice.cache.dir");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("readtwice");
    }

    private static List<Tensor> tensors() throws IOException {
        List<Tensor> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(resource("model-tensors.tsv"),
                StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\t");
                out.add(new Tensor(parts[0], Arrays.stream(parts[1].split(",")).mapToInt(Integer::parseInt)
                        .toArray()));
            }
        }
        return out;
    }

    /**
     * Norm weights 1, biases 0, the embedding N(0, 1) (so the tied logits are not flat), every other matrix
     * N(0, 1/fan_in) with fan_in = the product of all but the first dimension.
     */
    private static void writeSafetensors(Path file, List<Tensor> tensors) throws IOException {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\",\"note\":\"untrained demo "
                + "model, seed " + SEED + "\"}");
        long offset = 0;
        for (Tensor t : tensors) {
            header.append(",\"").append(t.name()).append("\":{\"dtype\":\"F32\",\"shape\":")
                    .append(Arrays.toString(t.shape()).replace(" ", "")).append(",\"data_offsets\":[")
                    .append(offset).append(',').append(offset + 4 * t.size()).append("]}");
            offset += 4 * t.size();
        }
        header.append('}');
        while ((header.length() + 8) % 8 != 0) {
            header.append(' ');
        }
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        SplittableRandom random = new SplittableRandom(SEED);
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length);
            out.write(length.array());
            out.write(headerBytes);
            ByteBuffer buf = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : tensors) {
                boolean norm = t.name().endsWith("norm1.weight") || t.name().endsWith("norm2.weight")
                        || t.name().endsWith("ln_f.weight");
                boolean bias = t.name().endsWith(".bias");
                boolean embedding = t.name().contains("word_embeddings");
                long fanIn = t.size() / t.shape()[0];
                double scale = embedding ? 1.0 : 1.0 / Math.sqrt(fanIn);
                for (long i = 0; i < t.size(); i++) {
                    float v = norm ? 1f : bias ? 0f : (float) (random.nextGaussian() * scale);
                    buf.clear();
                    out.write(buf.putFloat(v).array());
                }
            }
        }
    }

    static InputStream resource(String name) {
        InputStream in = DemoModel.class.getResourceAsStream(RESOURCES + name);
        if (in == null) {
            throw new IllegalStateException("missing resource " + RESOURCES + name);
        }
        return in;
    }

    /** The bundled sample questions, the first {@code rows} of them, copied into {@code file}. */
    public static Path sample(Path file, int rows) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(resource("squad-sample.jsonl"),
                StandardCharsets.UTF_8))) {
            List<String> lines = r.lines().limit(rows).toList();
            Files.createDirectories(file.getParent());
            Files.write(file, lines, StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo sample to " + file, e);
        }
    }
}
