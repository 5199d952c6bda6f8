package io.readtwice.kernels;

/** TODO: the seam between the model graph and the math. */
public interface Backend {
    String name();
}
