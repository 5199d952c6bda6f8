#!/usr/bin/env python3
"""PyTorch Transformer baseline for `readtwice bench` (issue 7): same size as jrt-360m / jrt-1b, FlashAttention.

A decoder-only Transformer with the released JRT shapes' d_model, layer count, MLP hidden size and (padded)
vocabulary: pre-norm blocks of RMSNorm -> causal self-attention (16 heads, rotary, qkv d->3d and out d->d, no
bias) -> RMSNorm -> SwiGLU MLP (fc1 d->2h, fc2 h->d), a final RMSNorm and an lm_head tied to the embedding. Every
layer is attention (the JRT models mix in linear attention, sliding windows and BaseConv instead), so at long N
its cost is dominated by attention: that is the comparison the paper makes.

Attention runs through torch.nn.functional.scaled_dot_product_attention with the flash backend forced
(torch.nn.attention.sdpa_kernel(SDPBackend.FLASH_ATTENTION); torch.backends.cuda.sdp_kernel on older torch): a
shape flash cannot run fails instead of silently using another kernel. On the CPU (a smoke test, `--device cpu
--tiny`) the default SDPA backend is used, or plain softmax attention where torch predates SDPA (< 2.0).

Measured per (shape, N): prefill of `batch` random prompts of N tokens (logits of the last token only, the KV
cache filled), then `new_tokens - 1` greedy decode steps against the cache. Wall time with CUDA synchronisation,
median of --repeats after --warmup runs. One JSON object per line on stdout with the field names of
`readtwice bench --json` (prompt_tokens, batch, new_tokens, prefill_seconds, prefill_tokens_per_s,
decode_ms_per_step, decode_tokens_per_s, ...); where memory does not fit, a line with "skipped" saying why
(the decode fields alone are skipped when only the KV cache does not fit).

Examples:
  python3 scripts/gpu/torch_transformer_bench.py                      # jrt-360m, jrt-1b; B 16; N 2048..32768
  python3 scripts/gpu/torch_transformer_bench.py --device cpu --tiny  # seconds, no GPU needed
"""

import argparse
import contextlib
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F

# d_model, layers, MLP hidden (h = 2·d, as ModelConfig: fc1 has 2·h rows), heads; vocabulary padded to 50264.
SHAPES = {
    "jrt-360m": dict(d_model=1024, layers=26, mlp_hidden=2048, heads=16, vocab=50264),
    "jrt-1b": dict(d_model=1792, layers=36, mlp_hidden=3584, heads=16, vocab=50264),
    "tiny": dict(d_model=64, layers=2, mlp_hidden=128, heads=4, vocab=512),
}


def flash_context(device):
    """(context manager, label) that forces FlashAttention on CUDA; the default elsewhere."""
    if not hasattr(F, "scaled_dot_product_attention"):
        if device.type == "cuda":
            raise SystemExit("torch %s has no scaled_dot_product_attention: no FlashAttention" % torch.__version__)
        return contextlib.nullcontext(), "math (torch %s predates SDPA)" % torch.__version__
    if device.type != "cuda":
        return contextlib.nullcontext(), "sdpa-default-cpu"
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        return sdpa_kernel(SDPBackend.FLASH_ATTENTION), "sdpa-flash"
    except ImportError:
        return torch.backends.cuda.sdp_kernel(enable_flash=True, enable_math=False,
                                              enable_mem_efficient=False), "sdpa-flash"


def attend(q, k, v, causal):
    """q [B, H, Nq, hd], k/v [B, H, Nk, hd] -> [B, H, Nq, hd]."""
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    scores = (q.float() @ k.float().transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if causal:
        nq, nk = q.shape[-2], k.shape[-2]
        mask = torch.ones(nq, nk, dtype=torch.bool, device=q.device).tril(nk - nq)
        scores = scores.masked_fill(~mask, float("-inf"))
    return (scores.softmax(-1) @ v.float()).to(q.dtype)


class RMSNorm(torch.nn.Module):
    def __init__(self, d, device, dtype):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(d, device=device, dtype=dtype))

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-5)).to(x.dtype) * self.weight


def rotate(x, cos, sin):
    """Rotary embedding on the full head dim (halves rotated), cos/sin [N, hd/2]."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)


class Block(torch.nn.Module):
    def __init__(self, cfg, device, dtype):
        super().__init__()
        d, h = cfg["d_model"], cfg["mlp_hidden"]
        self.heads = cfg["heads"]
        kw = dict(bias=False, device=device, dtype=dtype)
        self.norm1 = RMSNorm(d, device, dtype)
        self.qkv = torch.nn.Linear(d, 3 * d, **kw)
        self.out = torch.nn.Linear(d, d, **kw)
        self.norm2 = RMSNorm(d, device, dtype)
        self.fc1 = torch.nn.Linear(d, 2 * h, **kw)
        self.fc2 = torch.nn.Linear(h, d, **kw)

    def forward(self, x, cos, sin, cache, start):
        """x [B, N, d]; cache (k, v) [B, H, Nmax, hd] or None; start: position of x's first token."""
        b, n, d = x.shape
        hd = d // self.heads
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        if cache is not None:
            cache[0][:, :, start:start + n] = k
            cache[1][:, :, start:start + n] = v
            k, v = cache[0][:, :, :start + n], cache[1][:, :, :start + n]
        # prefill: causal over itself; a decode step (n = 1) sees the whole cache
        y = attend(q, k, v, causal=n > 1)
        x = x + self.out(y.transpose(1, 2).reshape(b, n, d))
        u, g = self.fc1(self.norm2(x)).chunk(2, dim=-1)
        return x + self.fc2(u * F.silu(g))


class Transformer(torch.nn.Module):
    def __init__(self, cfg, device, dtype):
        super().__init__()
        self.cfg = cfg
        self.embed = torch.nn.Embedding(cfg["vocab"], cfg["d_model"], device=device, dtype=dtype)
        self.blocks = torch.nn.ModuleList(Block(cfg, device, dtype) for _ in range(cfg["layers"]))
        self.norm = RMSNorm(cfg["d_model"], device, dtype)
        hd = cfg["d_model"] // cfg["heads"]
        self.inv_freq = 1.0 / (10000.0 ** (torch.arange(0, hd, 2, device=device, dtype=torch.float32) / hd))

    def rotary(self, start, n, dtype):
        t = torch.arange(start, start + n, device=self.inv_freq.device, dtype=torch.float32)
        f = torch.outer(t, self.inv_freq)
        return f.cos().to(dtype), f.sin().to(dtype)

    def forward(self, tokens, caches, start):
        """Logits of the last position, [B, vocab] (float32)."""
        x = self.embed(tokens)
        cos, sin = self.rotary(start, tokens.shape[1], x.dtype)
        for i, block in enumerate(self.blocks):
            x = block(x, cos, sin, None if caches is None else caches[i], start)
        return (self.norm(x[:, -1]) @ self.embed.weight.t()).float()


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def free_bytes(device):
    if device.type != "cuda":
        return float("inf")
    free, _ = torch.cuda.mem_get_info()
    return free


def measure(model, cfg, tokens, args, device, dtype, decode):
    """(prefill seconds, decode seconds) per timed run, or why not (out of memory)."""
    b, n = tokens.shape
    layers, hd = cfg["layers"], cfg["d_model"] // cfg["heads"]
    total = n + args.new_tokens
    prefill_times, decode_times = [], []
    caches = logits = None
    try:
        for r in range(args.warmup + args.repeats):
            caches = None
            if decode:
                caches = [(torch.empty(b, cfg["heads"], total, hd, device=device, dtype=dtype),
                           torch.empty(b, cfg["heads"], total, hd, device=device, dtype=dtype))
                          for _ in range(layers)]
            sync(device)
            t0 = time.perf_counter()
            logits = model(tokens, caches, 0)
            sync(device)
            t1 = time.perf_counter()
            if decode:
                for step in range(args.new_tokens - 1):
                    nxt = logits.argmax(-1, keepdim=True)
                    logits = model(nxt, caches, n + step)
                sync(device)
            t2 = time.perf_counter()
            if r >= args.warmup:
                prefill_times.append(t1 - t0)
                decode_times.append(t2 - t1)
            caches = logits = None
    except RuntimeError as e:  # torch.cuda.OutOfMemoryError is a RuntimeError
        if "out of memory" not in str(e):
            raise
        caches = logits = None
        if device.type == "cuda":
            torch.cuda.empty_cache()
        return "out of memory%s: %s" % (" with the KV cache" if decode else "", str(e).splitlines()[0][:200])
    return prefill_times, decode_times


def run_one(model, cfg, shape, n, args, device, dtype, label):
    base = dict(model=shape, backend="torch " + torch.__version__ + " (" + label + ")", weights=str(dtype)[6:],
                prompt_tokens=n, batch=args.batch, new_tokens=args.new_tokens, repeats=args.repeats,
                device=torch.cuda.get_device_name() if device.type == "cuda" else "cpu")
    b, d, layers = args.batch, cfg["d_model"], cfg["layers"]
    elt = torch.finfo(dtype).bits // 8
    cache_bytes = layers * 2 * b * (n + args.new_tokens) * d * elt
    # the prefill's largest live activations: residual, normed, qkv, attention out, fc1 out, SwiGLU out
    work_bytes = b * n * (6 * d + 3 * cfg["mlp_hidden"]) * elt
    free = free_bytes(device) * 0.95
    if work_bytes > free:
        return dict(base, skipped="prefill needs ~%.1f GB of activations, %.1f GB free" % (work_bytes / 1e9,
                                                                                          free / 1e9))
    decode = cache_bytes + work_bytes <= free
    why_no_decode = "KV cache ~%.1f GB + prefill ~%.1f GB > %.1f GB free" % (cache_bytes / 1e9, work_bytes / 1e9,
                                                                             free / 1e9)
    generator = torch.Generator(device="cpu").manual_seed(n * 31 + b)
    tokens = torch.randint(0, cfg["vocab"], (b, n), generator=generator).to(device)
    result = measure(model, cfg, tokens, args, device, dtype, decode)
    if isinstance(result, str) and decode:
        # the estimate was too optimistic: the prefill alone rather than nothing
        why_no_decode, decode = result, False
        result = measure(model, cfg, tokens, args, device, dtype, decode)
    if isinstance(result, str):
        return dict(base, skipped=result)
    prefill_times, decode_times = result
    prefill = statistics.median(prefill_times)
    out = dict(base, prefill_seconds=prefill, prefill_tokens_per_s=b * n / prefill)
    steps = max(1, args.new_tokens - 1)
    if decode:
        dec = statistics.median(decode_times)
        out.update(decode_ms_per_step=dec / steps * 1e3, decode_tokens_per_s=steps * b / dec)
    else:
        out.update(decode_skipped=why_no_decode)
    if device.type == "cuda":
        out["peak_memory_gb"] = torch.cuda.max_memory_allocated() / 1e9
        torch.cuda.reset_peak_memory_stats()
        torch.cuda.empty_cache()
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shapes", default="jrt-360m,jrt-1b", help="comma-separated: jrt-360m, jrt-1b, tiny")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--prompt-tokens", default="2048,4096,8192,16384,32768")
    p.add_argument("--new-tokens", type=int, default=32)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--device", default="cuda")
    p.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32"])
    p.add_argument("--tiny", action="store_true",
                   help="smoke test: the tiny shape, batch 2, N 32,64, 4 new tokens, no warm-up")
    args = p.parse_args(argv)
    if args.tiny:
        args.shapes, args.batch, args.prompt_tokens, args.new_tokens = "tiny", 2, "32,64", 4
        args.warmup, args.repeats = 0, 1
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(json.dumps(dict(backend="torch " + torch.__version__, skipped="torch sees no CUDA device")),
              flush=True)
        return 1
    dtype = getattr(torch, args.dtype)
    context, label = flash_context(device)
    torch.manual_seed(0)
    with torch.no_grad(), context:
        for shape in args.shapes.split(","):
            cfg = SHAPES[shape]
            model = Transformer(cfg, device, dtype).eval()
            for n in (int(v) for v in args.prompt_tokens.split(",")):
                line = run_one(model, cfg, shape, n, args, device, dtype, label)
                line["params_m"] = sum(t.numel() for t in model.parameters()) / 1e6
                print(json.dumps(line), flush=True)
            del model
            if device.type == "cuda":
                torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
