package io.readtwice.checkpoint;

/** Which weights file of a model folder to read. */
public enum WeightsFormat {
    /** {@code model.safetensors}. */
    SAFETENSORS("model.safetensors"),
    /** {@code pytorch_model.bin} as written by {@code torch.save} (zip format, hub key names). */
    PYTORCH("pytorch_model.bin"),
    /** {@code model.safetensors} when present, else {@code pytorch_model.bin}. */
    AUTO(null);

    private final String fileName;

    WeightsFormat(String fileName) {
        this.fileName = fileName;
    }

    /** The file this format reads; null for AUTO. */
    public String fileName() {
        return fileName;
    }
}
