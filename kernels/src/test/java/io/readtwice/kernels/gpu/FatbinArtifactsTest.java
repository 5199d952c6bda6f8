package io.readtwice.kernels.gpu;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The fatbins nvcc put into the jar, read in Java (no cuobjdump in the build image, gpu-notes §2.3): each module has
 * sm_90a and sm_80 machine code and compute_80 PTX, and every entry point the source declares and the launchers call
 * is in all three. Runs without a GPU; skipped where nvcc was absent at build time, unless -Dkernels.require=true.
 */
class FatbinArtifactsTest {

    @BeforeAll
    static void kernelsBuilt() {
        if (Boolean.getBoolean("kernels.require")) {
            assertTrue(KernelResources.built(), "kernels.require=true but the jar has no CUDA kernels");
        }
        assumeTrue(KernelResources.built(), "CUDA kernels not built (nvcc absent at build time): nothing to check");
    }

    @Test
    void everyModuleHasTheThreeTargets() {
        List<String> modules = KernelResources.modules();
        assertFalse(modules.isEmpty(), "the manifest lists no module");
        for (String module : modules) {
            FatbinFile fatbin = FatbinFile.parse(KernelResources.fatbin(module), module + ".fatbin");
            List<String> targets = fatbin.entries().stream().map(FatbinFile.Entry::describe).sorted().toList();
            assertEquals(List.of("compute_80 ptx", "sm_80 cubin", "sm_90a cubin"), targets, module);
            for (FatbinFile.Entry entry : fatbin.entries()) {
                assertFalse(entry.compressed(), module + ": " + entry.describe() + " is compressed");
                if (entry.kind() == FatbinFile.KIND_ELF) {
                    CubinFile cubin = CubinFile.parse(entry.payload(), module + " " + entry.describe());
                    assertEquals(entry.sm(), cubin.sm(), module + ": ELF e_flags SM vs the fatbin entry");
                    assertEquals(entry.archSpecific(), cubin.toolOptions().contains("sm_" + entry.sm() + "a"),
                            module + " " + entry.describe() + ": compile options '" + cubin.toolOptions() + "'");
                }
            }
        }
    }

    @Test
    void everyEntryPointIsInEveryTarget() {
        for (String module : KernelResources.modules()) {
            List<String> entries = KernelResources.entryPoints(module);
            assertFalse(entries.isEmpty(), module + " declares no kernel");
            for (FatbinFile.Entry entry : FatbinFile.parse(KernelResources.fatbin(module), module).entries()) {
                List<String> missing = new ArrayList<>();
                if (entry.kind() == FatbinFile.KIND_ELF) {
                    List<String> kernels = CubinFile.parse(entry.payload(), module).kernels();
                    entries.stream().filter(e -> !kernels.contains(e)).forEach(missing::add);
                } else {
                    String ptx = new String(entry.payload(), StandardCharsets.US_ASCII);
                    assertTrue(ptx.contains(".target sm_80"), module + ": PTX target");
                    entries.stream().filter(e -> !ptx.contains(".entry " + e + "(")).forEach(missing::add);
                }
                assertTrue(missing.isEmpty(), module + " " + entry.describe() + " lacks " + missing);
            }
        }
    }

    @Test
    void theLaunchersCallOnlyBuiltKernels() {
        for (KernelCatalog.Use use : KernelCatalog.uses()) {
            List<String> entries = KernelResources.entryPoints(use.module());
            for (String kernel : use.kernels()) {
                if (!entries.contains(kernel)) {
                    fail(use.launcher() + " launches " + use.module() + "." + kernel + ", which the build lacks "
                            + "(it has " + entries + ")");
                }
            }
        }
    }

    @Test
    void theWgmmaGemmIsRealOnlyInTheSm90aCode() {
        assertTrue(KernelResources.entryPoints(GemmLauncher.MODULE).contains(GemmLauncher.WGMMA),
                "gemm lacks " + GemmLauncher.WGMMA + ": " + KernelResources.entryPoints(GemmLauncher.MODULE));
        for (FatbinFile.Entry entry : FatbinFile.parse(KernelResources.fatbin(GemmLauncher.MODULE), "gemm")
                .entries()) {
            if (entry.kind() == FatbinFile.KIND_ELF) {
                CubinFile cubin = CubinFile.parse(entry.payload(), "gemm " + entry.describe());
                long bytes = cubin.textBytes(GemmLauncher.WGMMA);
                if (entry.archSpecific()) {
                    // 4 k-steps of HGMMA, the copies and a 128-register epilogue: kilobytes of SASS
                    assertTrue(bytes > 4096, "sm_90a " + GemmLauncher.WGMMA + " has only " + bytes + " bytes of code");
                } else {
                    // the __CUDA_ARCH_FEAT_SM90_ALL guard leaves an empty body (EXIT) on sm_80
                    assertTrue(bytes > 0 && bytes <= 256, "sm_80 " + GemmLauncher.WGMMA + ": " + bytes + " bytes");
                }
            } else {
                String ptx = new String(entry.payload(), StandardCharsets.US_ASCII);
                assertFalse(ptx.contains("wgmma."), "the portable compute_80 PTX must not contain wgmma");
            }
        }
    }

    @Test
    void garbageIsRejectedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FatbinFile.parse(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, "x.fatbin"));
        assertTrue(e.getMessage().contains("x.fatbin is not a fatbin"), e.getMessage());
    }
}
