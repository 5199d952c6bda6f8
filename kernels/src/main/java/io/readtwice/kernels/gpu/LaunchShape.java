package io.readtwice.kernels.gpu;

/**
 * Grid, block and dynamic shared memory of one launch.
 *
 * @param gridX       blocks along x
 * @param gridY       blocks along y
 * @param gridZ       blocks along z
 * @param block       threads per block (1-D blocks throughout)
 * @param sharedBytes dynamic shared memory per block
 */
public record LaunchShape(int gridX, int gridY, int gridZ, int block, int sharedBytes) {
    static final int MAX_GRID_YZ = 65535;
    static final int MAX_BLOCK = 1024;

    public LaunchShape {
        if (gridX < 1 || gridY < 1 || gridZ < 1 || gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ) {
            throw new IllegalArgumentException("bad grid (" + gridX + ", " + gridY + ", " + gridZ + ")");
        }
        if (block < 1 || block > MAX_BLOCK || block % 32 != 0) {
            throw new IllegalArgumentException("bad block size " + block + " (1..1024, whole warps)");
        }
        if (sharedBytes < 0) {
            throw new IllegalArgumentException("negative shared memory " + sharedBytes);
        }
    }

    /** The grid (x, y) for a 2-D problem. */
    public static LaunchShape grid(int gridX, int gridY, int block, int sharedBytes) {
        return new LaunchShape(gridX, gridY, 1, block, sharedBytes);
    }
}
