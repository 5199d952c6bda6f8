package io.readtwice.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the checkpoint comes from: a local folder (used in place; on a cluster it must exist on every executor)
 * or a Hadoop folder ({@code hdfs://}, {@code s3a://}, …) that each executor copies once into a local cache.
 *
 * <p>The cache folder is named by a hash of the URI and each file's size and modification time, so a changed model
 * gets a new copy. Copies go to a temporary folder, are checked against the remote sizes and then renamed into
 * place under a file lock, so executors sharing a host share one copy. CheckpointLoader then validates the files.
 */
public final class ModelSource implements Serializable {
    /** Files a checkpoint folder needs: the config and one weights file (safetensors preferred). */
    private static final String CONFIG = "config.json";
    private static final String[] WEIGHTS = {"model.safetensors", "pytorch_model.bin"};

    /** Remote models already copied by this JVM: URI → local folder. */
    private static final Map<String, java.nio.file.Path> STAGED = new ConcurrentHashMap<>();

    private final String uri;
    private final HadoopConf conf;

    private ModelSource(String uri, HadoopConf conf) {
        this.uri = uri;
        this.conf = conf;
    }

    static ModelSource of(String model, Configuration hadoopConf) {
        return new ModelSource(model, isLocal(model) ? null : new HadoopConf(hadoopConf));
    }

    String uri() {
        return uri;
    }

    static boolean isLocal(String model) {
        if (model.startsWith("file:")) {
            return true;
        }
        int colon = model.indexOf(':');
        int slash = model.indexOf('/');
        // "s3a://…", "hdfs://…": a scheme; "C:…" or a plain path: local
        return colon <= 1 || (slash >= 0 && slash < colon);
    }

    /** The local folder to load from, copying the remote folder into the cache first when needed. */
    java.nio.file.Path localDir() {
        if (conf == null) {
            return uri.startsWith("file:") ? Paths.get(URI.create(uri)) : Paths.get(uri);
        }
        java.nio.file.Path staged = STAGED.get(uri);
        if (staged != null) {
            return staged;
        }
        synchronized (STAGED) {
            staged = STAGED.get(uri);
            if (staged == null) {
                try {
                    staged = cached();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot copy the model from " + uri + ": " + e.getMessage(), e);
                }
                STAGED.put(uri, staged);
            }
            return staged;
        }
    }

    private java.nio.file.Path cached() throws IOException {
        Path remote = new Path(uri);
        FileSystem fs = remote.getFileSystem(conf.get());
        if (!fs.exists(remote) || !fs.getFileStatus(remote).isDirectory()) {
            throw new IOException("no such model folder: " + uri);
        }
        List<FileStatus> files = new ArrayList<>();
        files.add(status(fs, new Path(remote, CONFIG)));
        FileStatus weights = null;
        for (String name : WEIGHTS) {
            Path p = new Path(remote, name);
            if (fs.exists(p)) {
                weights = fs.getFileStatus(p);
                break;
            }
        }
        if (weights == null) {
            throw new IOException(uri + " has neither model.safetensors nor pytorch_model.bin");
        }
        files.add(weights);

        java.nio.file.Path root = cacheRoot();
        Files.createDirectories(root);
        java.nio.file.Path target = root.resolve(key(files));
        try (FileChannel lockFile = FileChannel.open(root.resolve(target.getFileName() + ".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockFile.lock()) {
            if (complete(target, files)) {
                return target;
            }
            java.nio.file.Path tmp = Files.createTempDirectory(root, target.getFileName() + ".tmp");
            for (FileStatus f : files) {
                java.nio.file.Path local = tmp.resolve(f.getPath().getName());
                fs.copyToLocalFile(false, f.getPath(), new Path(local.toUri()), true);
                long size = Files.size(local);
                if (size != f.getLen()) {
                    throw new IOException("copy of " + f.getPath() + " has " + size + " bytes, expected " + f.getLen());
                }
            }
            if (Files.exists(target)) {
                deleteTree(target);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        }
    }

    private static FileStatus status(FileSystem fs, Path p) throws IOException {
        if (!fs.exists(p)) {
            throw new IOException("no " + p.getName() + " in " + p.getParent());
        }
        return fs.getFileStatus(p);
    }

    private static boolean complete(java.nio.file.Path dir, List<FileStatus> files) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        for (FileStatus f : files) {
            java.nio.file.Path local = dir.resolve(f.getPath().getName());
            if (!Files.isRegularFile(local) || Files.size(local) != f.getLen()) {
                return false;
            }
        }
        return true;
    }

    private String key(List<FileStatus> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(uri.getBytes(StandardCharsets.UTF_8));
            for (FileStatus f : files) {
                sha.update((f.getPath().getName() + ":" + f.getLen() + ":" + f.getModificationTime())
                        .getBytes(StandardCharsets.UTF_8));
            }
            String name = new Path(uri).getName().replaceAll("[^A-Za-z0-9._-]", "_");
            return name + "-" + HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code readtwice.model.cache} (system property) or the JVM's temp folder; on YARN that is the container's. */
    private static java.nio.file.Path cacheRoot() {
        String configured = System.getProperty("readtwice.model.cache");
        return configured != null ? Paths.get(configured)
                : Paths.get(System.getProperty("java.io.tmpdir"), "readtwice-models");
    }

    private static void deleteTree(java.nio.file.Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (java.nio.file.Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
