package io.readtwice.checkpoint;

import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the {@code data.pkl} of a {@code torch.save} archive into tensor descriptions, without running anything
 * the pickle names. A pickle can call any Python global, so only the globals a state dict needs are let through
 * (model-spec §11): {@code collections.OrderedDict}, {@code torch._utils._rebuild_tensor_v2/_v3},
 * {@code torch._utils._rebuild_parameter}, the {@code torch.*Storage} classes and the {@code torch.<dtype>}
 * objects. Every other GLOBAL/STACK_GLOBAL, and the INST/OBJ/NEWOBJ/NEWOBJ_EX/EXT opcodes, is an error naming
 * the global.
 *
 * <p>Globals are resolved here, in {@link #dispatch}, rather than through Pyrolite's process-wide constructor
 * registry: nothing static is modified, and an unknown global never reaches Pyrolite's default (a
 * {@code ClassDict} placeholder). Storages are persistent ids {@code ('storage', <StorageClass>, key, location,
 * numel)}; they become lazy references to the archive entry {@code <top>/data/<key>}, size-checked against it.
 * BUILD is only accepted on an OrderedDict, where it carries the {@code _metadata} attribute, which is ignored.
 */
final class StateDictUnpickler extends Unpickler {

    /** A storage: {@code numel} elements of {@code dtype} at the start of an archive entry. */
    record StorageRef(String key, DType dtype, long numel, TorchZipArchive.Entry entry) {
        long bytes() {
            return numel * dtype.bytes();
        }
    }

    /** What {@code _rebuild_tensor_v2/_v3} describe: a strided view of a storage. */
    record PickledTensor(StorageRef storage, long storageOffset, long[] size, long[] stride, DType dtype) {
    }

    /** The value of a {@code torch.FloatStorage}-style global (only ever used inside a persistent id). */
    private record StorageClass(String name, DType dtype) {
    }

    /** The value of a {@code torch.float32}-style global (the dtype argument of {@code _rebuild_tensor_v3}). */
    private record TorchDtype(String name, DType dtype) {
    }

    /** The allowed callables; REDUCE invokes them through Pyrolite's constructor interface. */
    private final class AllowedCallable implements IObjectConstructor {
        private final String global;

        AllowedCallable(String global) {
            this.global = global;
        }

        @Override
        public Object construct(Object[] args) {
            return switch (global) {
                case "collections.OrderedDict" -> newOrderedDict(args);
                case "torch._utils._rebuild_tensor_v2" -> rebuildTensor(args, false);
                case "torch._utils._rebuild_tensor_v3" -> rebuildTensor(args, true);
                case "torch._utils._rebuild_parameter" -> rebuildParameter(args);
                default -> throw new IllegalStateException(global);
            };
        }

        @Override
        public String toString() {
            return global;
        }
    }

    /** What {@code collections.OrderedDict()} builds; the only object BUILD may set state on. */
    private static final class OrderedDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
    }

    private static final String ALLOWED = "collections.OrderedDict, torch._utils._rebuild_tensor_v2, "
            + "torch._utils._rebuild_tensor_v3, torch._utils._rebuild_parameter, torch.<Type>Storage, torch.<dtype>";

    private final TorchZipArchive archive;
    private final String dataPrefix;
    private final String source;
    private final Map<String, StorageRef> storages = new HashMap<>();

    /**
     * @param archive   the checkpoint archive
     * @param topFolder the archive's top folder ({@code pytorch_model} in the golden files; the name varies)
     */
    StateDictUnpickler(TorchZipArchive archive, String topFolder) {
        this.archive = archive;
        this.dataPrefix = topFolder + "/data/";
        this.source = archive.file() + ": " + topFolder + "/data.pkl";
    }

    /** Unpickles a state dict: key → tensor view. Anything else in the dict is an error naming the key. */
    Map<String, PickledTensor> readStateDict(byte[] pickle) {
        Object root;
        try {
            root = load(new ByteArrayInputStream(pickle));
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(source + ": malformed pickle: " + e, e);
        } finally {
            close();
        }
        if (!(root instanceof Map<?, ?> dict)) {
            throw new CheckpointException(source + ": the pickle holds " + describe(root)
                    + ", expected a state dict (an OrderedDict of tensors)");
        }
        Map<String, PickledTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new CheckpointException(source + ": state dict key " + describe(e.getKey())
                        + " is not a string");
            }
            if (!(e.getValue() instanceof PickledTensor tensor)) {
                throw new CheckpointException(source + ": state dict entry '" + key + "' is "
                        + describe(e.getValue()) + ", expected a tensor");
            }
            tensors.put(key, tensor);
        }
        return tensors;
    }

    @Override
    protected Object dispatch(short opcode) throws IOException {
        switch (opcode) {
            case Opcodes.GLOBAL -> {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                stack.add(resolveGlobal(module, name));
                return NO_RETURN_VALUE;
            }
            case Opcodes.STACK_GLOBAL -> {
                Object name = stack.pop();
                Object module = stack.pop();
                if (!(module instanceof String m) || !(name instanceof String n)) {
                    throw new CheckpointException(source + ": STACK_GLOBAL with non-string module/name "
                            + describe(module) + ", " + describe(name));
                }
                stack.add(resolveGlobal(m, n));
                return NO_RETURN_VALUE;
            }
            case Opcodes.INST -> {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                throw new CheckpointException(source + ": pickle opcode INST instantiates the global '" + module
                        + "." + name + "', which is not allowed in a state dict");
            }
            case Opcodes.OBJ, Opcodes.NEWOBJ, Opcodes.NEWOBJ_EX -> throw new CheckpointException(source
                    + ": pickle opcode " + opcodeName(opcode) + " (instantiating a class) is not allowed in a "
                    + "state dict");
            case Opcodes.EXT1, Opcodes.EXT2, Opcodes.EXT4 -> throw new CheckpointException(source
                    + ": pickle opcode " + opcodeName(opcode) + " (a global from the copyreg extension registry) "
                    + "is not allowed in a state dict");
            case Opcodes.BUILD -> {
                Object state = stack.pop();
                Object target = stack.peek();
                if (!(target instanceof OrderedDict) || !(state == null || state instanceof Map)) {
                    throw new CheckpointException(source + ": BUILD sets " + describe(state) + " on "
                            + describe(target) + "; only an OrderedDict's attributes (its _metadata) are accepted");
                }
                // state = {'_metadata': OrderedDict(module -> {'version': n})}: versions of module state
                // layouts, which these models do not need.
                return NO_RETURN_VALUE;
            }
            // length-prefixed values: refuse a length beyond the pickle before Pyrolite allocates a buffer for it
            case Opcodes.BINSTRING, Opcodes.BINUNICODE, Opcodes.BINBYTES, Opcodes.LONG4 -> checkLength(opcode, 4);
            case Opcodes.BINUNICODE8, Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> checkLength(opcode, 8);
            default -> {
            }
        }
        return super.dispatch(opcode);
    }

    @Override
    protected Object persistentLoad(Object pid) {
        if (!(pid instanceof Object[] t) || t.length != 5 || !"storage".equals(t[0])
                || !(t[1] instanceof StorageClass storageClass) || !(t[2] instanceof String key)) {
            throw new CheckpointException(source + ": unsupported persistent id " + describe(pid)
                    + ", expected ('storage', torch.<Type>Storage, key, location, numel)");
        }
        long numel = toLong(t[4], "numel of storage '" + key + "'");
        StorageRef known = storages.get(key);
        if (known != null) {
            if (known.dtype() != storageClass.dtype() || known.numel() != numel) {
                throw new CheckpointException(source + ": storage '" + key + "' is declared both as " + known.numel()
                        + " x " + known.dtype() + " and as " + numel + " x " + storageClass.dtype());
            }
            return known;
        }
        TorchZipArchive.Entry entry = archive.storedEntry(dataPrefix + key);
        long bytes;
        try {
            bytes = Math.multiplyExact(numel, storageClass.dtype().bytes());
        } catch (ArithmeticException e) {
            throw new CheckpointException(source + ": storage '" + key + "' declares numel " + numel
                    + ", which overflows a byte count", e);
        }
        if (bytes > entry.size()) {
            throw new CheckpointException(source + ": storage '" + key + "' declares " + numel + " x "
                    + storageClass.name() + " (" + bytes + " bytes), but entry '" + entry.name() + "' has only "
                    + entry.size() + " bytes");
        }
        StorageRef ref = new StorageRef(key, storageClass.dtype(), numel, entry);
        storages.put(key, ref);
        return ref;
    }

    private Object resolveGlobal(String module, String name) {
        String global = module + "." + name;
        switch (global) {
            case "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
                 "torch._utils._rebuild_parameter" -> {
                return new AllowedCallable(global);
            }
            default -> {
            }
        }
        if (module.equals("torch")) {
            DType storage = DType.TORCH_STORAGES.get(name);
            if (storage != null) {
                return new StorageClass(name, storage);
            }
            DType dtype = DType.TORCH_DTYPES.get(name);
            if (dtype != null) {
                return new TorchDtype(name, dtype);
            }
        }
        throw new CheckpointException(source + ": pickle names the global '" + global
                + "', which is not allowed in a state dict (allowed: " + ALLOWED + ")");
    }

    private Object newOrderedDict(Object[] args) {
        if (args.length != 0) {
            throw new CheckpointException(source + ": collections.OrderedDict called with " + args.length
                    + " arguments, expected none");
        }
        return new OrderedDict();
    }

    /**
     * {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])};
     * v3 inserts {@code dtype} after backward_hooks.
     */
    private PickledTensor rebuildTensor(Object[] args, boolean v3) {
        String function = v3 ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2";
        int required = v3 ? 7 : 6;
        if (args.length != required && args.length != required + 1) {
            throw new CheckpointException(source + ": " + function + " called with " + args.length
                    + " arguments, expected " + required + " or " + (required + 1));
        }
        if (!(args[0] instanceof StorageRef storage)) {
            throw new CheckpointException(source + ": " + function + " got " + describe(args[0])
                    + " where a storage was expected");
        }
        DType dtype = storage.dtype();
        if (v3) {
            if (!(args[6] instanceof TorchDtype d)) {
                throw new CheckpointException(source + ": _rebuild_tensor_v3 got " + describe(args[6])
                        + " where a torch dtype was expected");
            }
            dtype = d.dtype();
        }
        long offset = toLong(args[1], function + " storage_offset");
        long[] size = toLongs(args[2], function + " size");
        long[] stride = toLongs(args[3], function + " stride");
        return new PickledTensor(storage, offset, size, stride, dtype);
    }

    /** {@code _rebuild_parameter(data, requires_grad, backward_hooks)}: a Parameter is its data here. */
    private PickledTensor rebuildParameter(Object[] args) {
        if (args.length != 3 || !(args[0] instanceof PickledTensor data)) {
            throw new CheckpointException(source + ": _rebuild_parameter called with "
                    + describe(args) + ", expected (tensor, requires_grad, backward_hooks)");
        }
        return data;
    }

    private void checkLength(short opcode, int lengthBytes) throws IOException {
        input.mark(lengthBytes);
        byte[] raw = PickleUtils.readbytes(input, lengthBytes);
        input.reset();
        long length = 0;
        for (int i = lengthBytes - 1; i >= 0; i--) {
            length = (length << 8) | (raw[i] & 0xff);
        }
        // BINSTRING and LONG4 lengths are signed; a negative one is as wrong as a too-long one
        boolean signed = opcode == Opcodes.BINSTRING || opcode == Opcodes.LONG4;
        if (signed && lengthBytes == 4) {
            length = (int) length;
        }
        long left = input.available() - lengthBytes;
        if (length < 0 || length > left) {
            throw new CheckpointException(source + ": pickle opcode " + opcodeName(opcode) + " declares "
                    + Long.toUnsignedString(length) + " bytes but only " + left + " remain");
        }
    }

    private long toLong(Object value, String what) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger big && big.bitLength() < 64) {
            return big.longValue();
        }
        throw new CheckpointException(source + ": " + what + " is " + describe(value) + ", expected an integer");
    }

    private long[] toLongs(Object value, String what) {
        if (!(value instanceof Object[] items)) {
            throw new CheckpointException(source + ": " + what + " is " + describe(value) + ", expected a tuple");
        }
        long[] out = new long[items.length];
        for (int i = 0; i < items.length; i++) {
            out[i] = toLong(items[i], what);
        }
        return out;
    }

    private static String describe(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Object[] a) {
            return "tuple " + Arrays.deepToString(a);
        }
        if (o instanceof String s) {
            return "'" + s + "'";
        }
        if (o instanceof net.razorvine.pickle.objects.ClassDict c) {
            return "an object of the global '" + c.getClassName() + "'";
        }
        return o.getClass().getSimpleName() + " " + o;
    }

    private static String opcodeName(short opcode) {
        return switch (opcode) {
            case Opcodes.OBJ -> "OBJ";
            case Opcodes.NEWOBJ -> "NEWOBJ";
            case Opcodes.NEWOBJ_EX -> "NEWOBJ_EX";
            case Opcodes.EXT1 -> "EXT1";
            case Opcodes.EXT2 -> "EXT2";
            case Opcodes.EXT4 -> "EXT4";
            case Opcodes.BINSTRING -> "BINSTRING";
            case Opcodes.BINUNICODE -> "BINUNICODE";
            case Opcodes.BINBYTES -> "BINBYTES";
            case Opcodes.LONG4 -> "LONG4";
            case Opcodes.BINUNICODE8 -> "BINUNICODE8";
            case Opcodes.BINBYTES8 -> "BINBYTES8";
            case Opcodes.BYTEARRAY8 -> "BYTEARRAY8";
            default -> "0x" + Integer.toHexString(opcode);
        };
    }
}
