package io.readtwice.kernels;

/** TODO */
public final class CpuBackend implements Backend {
    @Override
    public String name() {
        return "cpu";
    }
}
