package io.readtwice.kernels.gpu;

import java.util.List;

/** Which kernels each launcher calls: the artifact test checks them against what nvcc built. */
final class KernelCatalog {
    record Use(String launcher, String module, List<String> kernels) {
    }

    private KernelCatalog() {
    }

    static List<Use> uses() {
        return List.of(
                new Use("LinearAttentionGpu", LinearAttentionGpu.MODULE, LinearAttentionGpu.KERNELS),
                new Use("SlidingWindowGpu", SlidingWindowGpu.MODULE, SlidingWindowGpu.KERNELS),
                new Use("BaseConvGpu", BaseConvGpu.MODULE, BaseConvGpu.KERNELS),
                new Use("ElementwiseGpu", ElementwiseGpu.MODULE, ElementwiseGpu.KERNELS),
                new Use("VocabGpu", VocabGpu.MODULE, VocabGpu.KERNELS),
                new Use("GemmLauncher", GemmLauncher.MODULE, GemmLauncher.KERNELS));
    }
}
