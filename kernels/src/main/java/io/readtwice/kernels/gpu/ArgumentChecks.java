package io.readtwice.kernels.gpu;

/**
 * Checks of launcher arguments, made on the host before a launch because a kernel reading past a buffer fails later
 * and elsewhere (or not at all). Messages name the kernel, the argument and the bad value.
 */
final class ArgumentChecks {
    private ArgumentChecks() {
    }

    static void positive(String kernel, String argument, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(kernel + ": " + argument + " must be positive, got " + value);
        }
    }

    static void atMost(String kernel, String argument, long value, long limit, String why) {
        if (value > limit) {
            throw new IllegalArgumentException(kernel + ": " + argument + " = " + value + " exceeds " + limit + " ("
                    + why + ")");
        }
    }

    /** {@code buffer} exists, holds {@code type} and at least {@code needed} elements ({@code shape} says why). */
    static void holds(String kernel, String argument, DeviceBuffer buffer, ElementType type, long needed,
                      String shape) {
        if (buffer == null) {
            throw new IllegalArgumentException(kernel + ": argument " + argument + " is null");
        }
        if (buffer.type() != type) {
            throw new IllegalArgumentException(kernel + ": argument " + argument + " holds " + buffer.type()
                    + ", expected " + type);
        }
        if (buffer.elements() < needed) {
            throw new IllegalArgumentException(kernel + ": argument " + argument + " holds " + buffer.elements()
                    + " elements, needs " + needed + " " + shape);
        }
    }

    /** The activation type of a kernel call: F32 or BF16, the type of its first activation argument. */
    static ElementType activationType(String kernel, String argument, DeviceBuffer buffer) {
        if (buffer == null) {
            throw new IllegalArgumentException(kernel + ": argument " + argument + " is null");
        }
        if (buffer.type() == ElementType.I32) {
            throw new IllegalArgumentException(kernel + ": argument " + argument + " holds int32, expected F32 or BF16");
        }
        return buffer.type();
    }

    static int ceilDiv(long a, int b) {
        return Math.toIntExact((a + b - 1) / b);
    }
}
