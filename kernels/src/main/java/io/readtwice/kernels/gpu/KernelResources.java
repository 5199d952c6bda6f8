package io.readtwice.kernels.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The kernels nvcc built into the jar (kernels/build-cuda.sh): {@code io/readtwice/kernels/gpu/<module>.fatbin} plus
 * {@code kernels.properties}, which lists the modules and each module's entry points. No JCuda here, so artifact
 * tests run without a driver.
 */
public final class KernelResources {
    static final String FOLDER = "/io/readtwice/kernels/gpu/";
    static final String MANIFEST = FOLDER + "kernels.properties";

    private KernelResources() {
    }

    /** True when the jar holds the manifest (nvcc ran at build time). */
    public static boolean built() {
        return KernelResources.class.getResource(MANIFEST) != null;
    }

    /** The manifest: {@code modules}, {@code module.<m>.entries}, {@code arches}, {@code nvcc.version}. */
    public static Properties manifest() {
        try (InputStream in = KernelResources.class.getResourceAsStream(MANIFEST)) {
            if (in == null) {
                throw new IllegalStateException("no " + MANIFEST + " on the classpath: the CUDA kernels were not built"
                        + " (nvcc missing at build time, or -Dkernels.skip=true)");
            }
            Properties p = new Properties();
            p.load(in);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + MANIFEST, e);
        }
    }

    /** Module names, e.g. {@code linear_attention}. */
    public static List<String> modules() {
        return split(manifest().getProperty("modules", ""));
    }

    /** The extern "C" entry points of one module, as its source declares them. */
    public static List<String> entryPoints(String module) {
        String entries = manifest().getProperty("module." + module + ".entries");
        if (entries == null) {
            throw new IllegalArgumentException("no kernel module '" + module + "' in " + MANIFEST + " (modules: "
                    + modules() + ")");
        }
        return split(entries);
    }

    /** The bytes of {@code <module>.fatbin}. */
    public static byte[] fatbin(String module) {
        String path = FOLDER + module + ".fatbin";
        try (InputStream in = KernelResources.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("no " + path + " on the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    private static List<String> split(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
