package io.readtwice.kernels.gpu;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Which GEMM kernel {@link GemmLauncher} runs, decided once per CUDA context.
 *
 * <p>gemm_bf16_wgmma (Hopper warpgroup MMA) was written without a GPU to run it on, so it is not trusted blindly:
 * on compute capability 9.0, before its first use, {@link #onDevice} runs it and gemm_bf16_mma (the sm_80 kernel
 * the parity tests cover) on the same small random problem ({@value #M}×{@value #N}×{@value #K}, off every tile
 * size) with every epilogue, and {@link #decide} keeps wgmma only if every output agrees within
 * {@link #tolerance}. Any disagreement, NaN or CUDA error gives one warning and mma.sync from then on. The check
 * runs in a context of its own (cuCtxCreate), to keep a sticky error of a faulty kernel (illegal address,
 * illegal instruction) out of the context the model uses. A hang would not be caught: the kernel has no
 * spin-waits (only __syncthreads and wgmma.wait_group), which is why it has no mbarrier pipeline.
 *
 * <p>{@code -Dreadtwice.gpu.gemm=auto|wgmma|mma}: {@code auto} (default) as above; {@code wgmma} forces the
 * wgmma kernel without the check (refused below compute capability 9.0, where its body is empty);
 * {@code mma} forces mma.sync. Shapes too small for a 128×256 tile still go to mma.sync
 * ({@link GemmLauncher#wgmmaQualifies}).
 */
final class GemmSelfCheck {
    static final String PROPERTY = "readtwice.gpu.gemm";
    /** The self-check's problem: rows, columns and depth off the tile sizes of both kernels. */
    static final int M = 200;
    static final int N = 528;
    static final int K = 200;

    enum Choice { WGMMA, MMA_SYNC }

    /**
     * One epilogue's outputs of the two kernels on the same inputs.
     *
     * @param bf16Output the outputs went through bfloat16 (one rounding each, so a looser bound)
     */
    record Trial(String epilogue, float[] wgmma, float[] mma, boolean bf16Output) {
    }

    /**
     * @param warning null unless the check failed: the one line to log
     */
    record Decision(Choice choice, String reason, String warning) {
    }

    /** Runs both kernels; may throw (a CUDA error counts as a failed check). */
    interface Runner {
        List<Trial> run() throws Exception;
    }

    private GemmSelfCheck() {
    }

    /** The property's value, normalised; unknown values are refused. */
    static String setting(String value) {
        String v = value == null || value.isBlank() ? "auto" : value.strip().toLowerCase(Locale.ROOT);
        if (!v.equals("auto") && !v.equals("wgmma") && !v.equals("mma")) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + ": expected auto, wgmma or mma");
        }
        return v;
    }

    /**
     * The decision for a device of {@code computeCapability} (major·10 + minor) under {@code property}; calls
     * {@code runner} only when the answer depends on it.
     */
    static Decision decide(String property, int computeCapability, Runner runner) {
        String setting = setting(property);
        boolean hopper = computeCapability == 90;
        if (setting.equals("mma")) {
            return new Decision(Choice.MMA_SYNC, "mma.sync forced by -D" + PROPERTY + "=mma", null);
        }
        if (setting.equals("wgmma")) {
            if (!hopper) {
                throw new IllegalStateException("-D" + PROPERTY + "=wgmma: the wgmma GEMM is built for sm_90a only, "
                        + "this device is sm_" + computeCapability);
            }
            return new Decision(Choice.WGMMA, "wgmma forced by -D" + PROPERTY + "=wgmma (self-check skipped)", null);
        }
        if (!hopper) {
            return new Decision(Choice.MMA_SYNC, "sm_" + computeCapability + ": wgmma needs sm_90a", null);
        }
        List<Trial> trials;
        try {
            trials = runner.run();
        } catch (Exception | LinkageError e) {
            return fallBack("the self-check failed to run: " + e);
        }
        if (trials.isEmpty()) {
            return fallBack("the self-check produced no result");
        }
        for (Trial t : trials) {
            String why = disagreement(t);
            if (why != null) {
                return fallBack(why);
            }
        }
        return new Decision(Choice.WGMMA, "wgmma agreed with mma.sync on " + trials.size() + " epilogues", null);
    }

    private static Decision fallBack(String why) {
        return new Decision(Choice.MMA_SYNC, "wgmma self-check failed", "gemm_bf16_wgmma disagrees with gemm_bf16_mma ("
                + why + "): using the mma.sync GEMM from now on (-D" + PROPERTY + "=wgmma forces wgmma)");
    }

    /**
     * The bound on |wgmma − mma| for outputs whose largest magnitude (mma's) is {@code max}: both kernels sum the
     * same bf16 products in fp32, only the order differs, so float32 outputs get GemmGpuTest's bound
     * 1e-3·max + 1e-4; bfloat16 outputs add one rounding that may land on either side (2⁻⁷ relative),
     * 1e-2·max + 1e-3.
     */
    static double tolerance(double max, boolean bf16Output) {
        return bf16Output ? 1e-2 * max + 1e-3 : 1e-3 * max + 1e-4;
    }

    /** Null when the trial's outputs agree, else what differs (first index, values, bound). */
    static String disagreement(Trial t) {
        if (t.wgmma().length != t.mma().length) {
            return t.epilogue() + ": " + t.wgmma().length + " outputs vs " + t.mma().length;
        }
        double max = 0;
        for (float v : t.mma()) {
            if (!Float.isFinite(v)) {
                return t.epilogue() + ": mma.sync gave " + v;
            }
            max = Math.max(max, Math.abs(v));
        }
        double bound = tolerance(max, t.bf16Output());
        int bad = 0;
        int first = -1;
        double worst = 0;
        for (int i = 0; i < t.mma().length; i++) {
            double diff = Math.abs((double) t.wgmma()[i] - t.mma()[i]);
            if (!(diff <= bound)) {  // NaN counts as a disagreement
                bad++;
                if (first < 0) {
                    first = i;
                }
                worst = Double.isNaN(diff) ? Double.NaN : Math.max(worst, diff);
            }
        }
        if (bad == 0) {
            return null;
        }
        return String.format(Locale.ROOT, "epilogue %s: %d of %d outputs differ by more than %.3g, max diff %.3g, "
                + "first [%d] %g vs %g", t.epilogue(), bad, t.mma().length, bound, worst, first, t.wgmma()[first],
                t.mma()[first]);
    }

    /** The epilogue combinations the self-check runs: each epilogue alone and the combinations the model uses. */
    static List<Set<GemmEpilogue>> epilogues() {
        return List.of(EnumSet.noneOf(GemmEpilogue.class), EnumSet.of(GemmEpilogue.BIAS),
                EnumSet.of(GemmEpilogue.OUT_BF16), EnumSet.of(GemmEpilogue.BIAS, GemmEpilogue.OUT_BF16),
                EnumSet.of(GemmEpilogue.ACCUMULATE), EnumSet.of(GemmEpilogue.BIAS, GemmEpilogue.ACCUMULATE),
                EnumSet.of(GemmEpilogue.SWIGLU), EnumSet.of(GemmEpilogue.SWIGLU, GemmEpilogue.BIAS,
                        GemmEpilogue.OUT_BF16));
    }

    /**
     * Runs both kernels on device {@code ordinal} in a context of its own (destroyed afterwards), on a seeded
     * random problem with every combination of {@link #epilogues()}.
     */
    static List<Trial> onDevice(int ordinal) {
        Random random = new Random(20240705);
        float[] a = gaussian(random, M * K);
        float[] b = gaussian(random, N * K);
        float[] bias = gaussian(random, N);
        float[] residual = gaussian(random, M * N);
        List<Trial> trials = new ArrayList<>();
        try (CudaContext context = CudaContext.openIsolated(ordinal);
             DeviceBuffer da = DeviceBuffer.of(context, ElementType.BF16, a);
             DeviceBuffer db = DeviceBuffer.of(context, ElementType.BF16, b);
             DeviceBuffer dBias = DeviceBuffer.of(context, ElementType.F32, bias)) {
            GemmLauncher launcher = GemmLauncher.unchecked(context);
            for (Set<GemmEpilogue> epilogue : epilogues()) {
                boolean swiglu = epilogue.contains(GemmEpilogue.SWIGLU);
                boolean bf16 = epilogue.contains(GemmEpilogue.OUT_BF16);
                int columns = swiglu ? N / 2 : N;
                float[][] out = new float[2][M * columns];
                for (int which = 0; which < 2; which++) {
                    try (DeviceBuffer c = DeviceBuffer.allocate(context, bf16 ? ElementType.BF16 : ElementType.F32,
                            (long) M * columns)) {
                        if (epilogue.contains(GemmEpilogue.ACCUMULATE)) {
                            c.upload(java.util.Arrays.copyOf(residual, M * columns));
                        } else {
                            c.zero();
                        }
                        launcher.launch(which == 0 ? Choice.WGMMA : Choice.MMA_SYNC, da.pointer(), db.pointer(),
                                epilogue.contains(GemmEpilogue.BIAS) ? dBias.pointer() : null, c.pointer(), M, N, K,
                                columns, epilogue, null);
                        context.synchronize();
                        c.download(out[which]);
                    }
                }
                trials.add(new Trial(epilogue.toString(), out[0], out[1], bf16));
            }
        }
        return trials;
    }

    private static float[] gaussian(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
