package io.readtwice.checkpoint;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@code pytorch_model.bin} written by {@code torch.save(state_dict)} (model-spec §11): a ZIP archive with
 * {@code <top>/data.pkl} (the pickled state dict) and one raw little-endian storage per {@code <top>/data/<key>}.
 * Yields every tensor's location under its key as stored (hub form, e.g. {@code model.transformer...}).
 */
final class PytorchModelFile {
    /** data.pkl of the 1.3B models is about 100 KB; anything near this limit is not a state dict. */
    private static final int MAX_PICKLE_BYTES = 256 << 20;

    private PytorchModelFile() {
    }

    static Map<String, StoredTensor> readTensors(Path file) {
        TorchZipArchive archive = TorchZipArchive.open(file);
        String top = topFolder(archive);
        TorchZipArchive.Entry byteOrder = archive.entry(top + "/byteorder");
        if (byteOrder != null) {
            String order = new String(archive.readSmallEntry(byteOrder.name(), 64), StandardCharsets.US_ASCII).trim();
            if (!order.equals("little")) {
                throw new CheckpointException(file + ": entry '" + byteOrder.name() + "' says '" + order
                        + "'; only little-endian storages are supported");
            }
        }
        byte[] pickle = archive.readSmallEntry(top + "/data.pkl", MAX_PICKLE_BYTES);
        Map<String, StateDictUnpickler.PickledTensor> pickled =
                new StateDictUnpickler(archive, top).readStateDict(pickle);

        Map<String, StoredTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, StateDictUnpickler.PickledTensor> e : pickled.entrySet()) {
            StateDictUnpickler.PickledTensor t = e.getValue();
            StateDictUnpickler.StorageRef storage = t.storage();
            tensors.put(e.getKey(), StoredTensor.strided(file, e.getKey(), t.dtype(), t.size(), t.stride(),
                    storage.entry().dataStart(), storage.bytes(), t.storageOffset()));
        }
        return tensors;
    }

    /** The one folder holding data.pkl; torch.save names it after the file, but hub files vary. */
    private static String topFolder(TorchZipArchive archive) {
        String found = null;
        for (TorchZipArchive.Entry e : archive.entries()) {
            String name = e.name();
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash).equals("/data.pkl")) {
                if (found != null) {
                    throw new CheckpointException(archive.file() + ": two pickles, '" + found
                            + "/data.pkl' and '" + name + "'");
                }
                found = name.substring(0, slash);
            }
        }
        if (found == null) {
            throw new CheckpointException(archive.file() + ": archive has no '<top>/data.pkl' entry; not a "
                    + "torch.save checkpoint");
        }
        return found;
    }
}
