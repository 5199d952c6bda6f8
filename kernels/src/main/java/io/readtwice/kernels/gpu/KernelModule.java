package io.readtwice.kernels.gpu;

import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One fatbin from the jar loaded with {@code cuModuleLoadData} (the driver picks the sm_90a or sm_80 code, or JITs
 * the compute_80 PTX). All entry points the manifest lists are resolved at load, so a kernel missing from the build
 * fails here, not at the first launch.
 */
public final class KernelModule {
    private final String name;
    private final CUmodule module;
    private final Map<String, Kernel> kernels;

    private KernelModule(String name, CUmodule module, Map<String, Kernel> kernels) {
        this.name = name;
        this.module = module;
        this.kernels = kernels;
    }

    static KernelModule load(CudaContext context, String name) {
        List<String> entries = KernelResources.entryPoints(name);
        CUmodule module = new CUmodule();
        JCudaDriver.cuModuleLoadData(module, KernelResources.fatbin(name));
        Map<String, Kernel> kernels = new HashMap<>();
        for (String entry : entries) {
            CUfunction function = new CUfunction();
            JCudaDriver.cuModuleGetFunction(function, module, entry);
            kernels.put(entry, new Kernel(context, entry, function));
        }
        return new KernelModule(name, module, Map.copyOf(kernels));
    }

    /** The kernel {@code entry} of this module. */
    public Kernel kernel(String entry) {
        Kernel k = kernels.get(entry);
        if (k == null) {
            throw new IllegalArgumentException("kernel module '" + name + "' has no entry point '" + entry
                    + "' (it has " + kernels.keySet() + ")");
        }
        return k;
    }

    void unload() {
        JCudaDriver.cuModuleUnload(module);
    }
}
