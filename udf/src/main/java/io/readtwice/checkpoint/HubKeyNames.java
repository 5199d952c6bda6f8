package io.readtwice.checkpoint;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The key clean-up the reference loader applies to hub checkpoints (golden README, "Key names in
 * pytorch_model.bin"): a Lightning state dict prefixes every model key with {@code model.}, carries int64
 * metric counters, and the Based release stores BaseConv's convolution under its older module name
 * {@code conv1}. Harmless on keys that are already in model form (the safetensors files).
 */
final class HubKeyNames {
    private HubKeyNames() {
    }

    static Map<String, StoredTensor> normalize(Map<String, StoredTensor> tensors, Path file) {
        Map<String, StoredTensor> out = new LinkedHashMap<>();
        Map<String, String> originalOf = new LinkedHashMap<>();
        for (Map.Entry<String, StoredTensor> e : tensors.entrySet()) {
            String key = e.getKey();
            if (key.contains("metrics")) {
                continue;
            }
            String name = key.startsWith("model.") ? key.substring("model.".length()) : key;
            name = name.replace(".conv1.", ".conv.");
            String clash = originalOf.put(name, key);
            if (clash != null) {
                throw new CheckpointException(file + ": tensors '" + clash + "' and '" + key
                        + "' both map to '" + name + "'");
            }
            out.put(name, e.getValue());
        }
        return out;
    }
}
