"""Model folders in the hub's layout: config.json (GPT2Config form, as the reference reads it) + model.safetensors.

Debian has no python3-safetensors, and the format is small: an 8-byte little-endian header length, a JSON header
{name: {dtype, shape, data_offsets}}, then the raw little-endian tensors.
"""
import json
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from jrt_model import (BASE_CONV, LINEAR_ATTENTION, PREFIX_LINEAR_ATTENTION, SLIDING_WINDOW, RecurrentLM)

GPT2_VOCAB = 50257

_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
_NAMES = {v: k for k, v in _DTYPES.items()}


@dataclass
class ModelSpec:
    layer_kinds: str  # one letter per layer: C BaseConv, P prefix linear attention, L linear attention, S SWA
    d_model: int = 128
    mlp_hidden: int = 256
    la_heads: int = 4
    swa_heads: int = 4
    feature_dim: int = 16
    window_size: int = 64
    enc_length: int = 96
    vocab: int = GPT2_VOCAB
    pad_multiple: int = 8
    eps: float = 1e-5
    extra: dict = field(default_factory=dict)

    @property
    def padded_vocab(self):
        return int(math.ceil(self.vocab / self.pad_multiple) * self.pad_multiple)

    @property
    def is_jrt(self):
        return PREFIX_LINEAR_ATTENTION in self.layer_kinds


def spec_from_config(config):
    alt = set(config.get("alt_mixer_layers", []))
    alt2 = set(config.get("alt_mixer_2_layers", []))
    la = config["alt_mixer"]
    jrt = la["_target_"].endswith("PrefixLinearAttention")
    kinds = "".join(SLIDING_WINDOW if i in alt2 else (PREFIX_LINEAR_ATTENTION if jrt else LINEAR_ATTENTION)
                    if i in alt else BASE_CONV for i in range(config["n_layer"]))
    return ModelSpec(layer_kinds=kinds, d_model=config["n_embd"],
                     mlp_hidden=int(math.ceil(config["n_inner"] / 256) * 256),
                     la_heads=la["num_heads"], swa_heads=config["alt_mixer_2"].get("num_heads", config["n_head"]),
                     feature_dim=la.get("feature_dim", 16), window_size=config["alt_mixer_2"]["window_size"],
                     enc_length=la.get("enc_length", config.get("enc_length", 0)) if jrt else 0,
                     vocab=config["vocab_size"], pad_multiple=config.get("pad_vocab_size_multiple", 1),
                     eps=config.get("layer_norm_epsilon", 1e-5))


def config_for(spec, dtype_name):
    """The config.json the Java loader and the reference both read (same fields as the golden tiny-gpt2 models)."""
    alt = [i for i, k in enumerate(spec.layer_kinds) if k in (PREFIX_LINEAR_ATTENTION, LINEAR_ATTENTION)]
    alt2 = [i for i, k in enumerate(spec.layer_kinds) if k == SLIDING_WINDOW]
    config = {
        "vocab_size": spec.vocab, "n_embd": spec.d_model, "n_layer": len(spec.layer_kinds),
        "n_head": spec.swa_heads, "n_inner": spec.mlp_hidden, "n_positions": 0, "max_position_embeddings": 0,
        "activation_function": "swiglu", "rms_norm": True, "layer_norm_epsilon": spec.eps,
        "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0, "mlp_fc1_bias": False, "mlp_fc2_bias": False,
        "qkv_proj_bias": False, "out_proj_bias": False, "fused_bias_fc": False, "fused_dropout_add_ln": False,
        "fused_mlp": False, "use_flash_attn": True, "residual_in_fp32": True, "rotary_emb_fraction": 1,
        "pad_vocab_size_multiple": spec.pad_multiple, "tie_word_embeddings": True,
        "alt_mixer_layers": alt, "alt_mixer_2_layers": alt2,
        "mixer": {"_target_": "based.models.mixers.convolution.BaseConv", "l_max": 2048, "use_bias": True,
                  "expand_proj": 4, "kernel_sizes": 3},
        "alt_mixer_2": {"_target_": "based.models.mixers.slide_attention.SlidingAttention",
                        "window_size": spec.window_size, "num_heads": spec.swa_heads, "causal": True},
        "torch_dtype": {"F16": "float16", "BF16": "bfloat16", "F32": "float32"}[dtype_name],
    }
    if spec.is_jrt:
        config["enc_length"] = spec.enc_length
        config["alt_mixer"] = {"_target_": "based.models.mixers.prefix_linear_attention.PrefixLinearAttention",
                               "l_max": 2048, "feature_dim": spec.feature_dim, "feature_name": "taylor_exp",
                               "num_heads": spec.la_heads, "num_key_value_heads": spec.la_heads,
                               "enc_length": spec.enc_length, "implementation": "default", "use_mask": True}
    else:
        config["fixed_decay"] = False
        config["alt_mixer"] = {"_target_": "based.models.mixers.linear_attention.LinearAttention", "l_max": 2048,
                               "feature_map": {"_target_": "based.models.mixers.linear_attention.TaylorExp",
                                               "input_dim": spec.feature_dim},
                               "feature_dim": spec.feature_dim, "num_heads": spec.la_heads,
                               "parallel_implementation": "quadratic"}
    config.update(spec.extra)
    return config


def read_safetensors(path):
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        begin, end = meta["data_offsets"]
        raw = bytearray(data[base + begin:base + end])
        t = torch.frombuffer(raw, dtype=_DTYPES[meta["dtype"]]) if raw else torch.empty(0, dtype=_DTYPES[meta["dtype"]])
        tensors[name] = t.reshape(meta["shape"])
    return tensors


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for raw in blobs:
            out.write(raw)


def load_model(folder):
    folder = Path(folder)
    spec = spec_from_config(json.loads((folder / "config.json").read_text()))
    model = RecurrentLM(spec)
    state = {k: v.to(torch.float32) for k, v in read_safetensors(folder / "model.safetensors").items()
             if k != "lm_head.weight"}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"{folder}: missing tensors {missing}, unexpected tensors {unexpected}")
    return model


def save_model(model, folder, dtype=torch.float16, metadata=None):
    """Writes config.json + model.safetensors; the tied lm_head is left out (the loaders tie it)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config_for(model.spec, _NAMES[dtype]), indent=1) + "\n")
    write_safetensors(folder / "model.safetensors",
                      {k: v.to(dtype) for k, v in model.state_dict().items()}, metadata)
