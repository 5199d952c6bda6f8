#!/usr/bin/env python3
"""Prints the prefill (and decode) ratio table of two bench JSON-lines files: ours ÷ the PyTorch baseline.

  python3 scripts/gpu/bench_ratio.py bench-gpu.jsonl bench-torch.jsonl

Rows are matched on (model, prompt_tokens, batch); lines that are not JSON objects, carry "skipped", or lack a
measurement print as "-". Standard library only (runs where torch is missing).
"""

import json
import sys


def load(path):
    rows = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                model = str(r.get("model", "")).split("/")[-1]
                if "prompt_tokens" in r:
                    rows[(model, r["prompt_tokens"], r.get("batch"))] = r
    except OSError:
        pass
    return rows


def ratio(a, b, field):
    x, y = a.get(field) if a else None, b.get(field) if b else None
    return "%.2f" % (x / y) if isinstance(x, (int, float)) and isinstance(y, (int, float)) and y > 0 else "-"


def rate(r, field):
    v = r.get(field) if r else None
    return "%.4g" % v if isinstance(v, (int, float)) else "-"


def main(ours_path, torch_path):
    ours, torch = load(ours_path), load(torch_path)
    print("%-10s %6s %5s %13s %13s %8s %13s %13s %8s" % ("model", "N", "B", "ours prefill", "torch prefill",
                                                          "ratio", "ours decode", "torch decode", "ratio"))
    for key in sorted(set(ours) | set(torch), key=lambda k: (k[0], k[1], k[2] or 0)):
        a, b = ours.get(key), torch.get(key)
        print("%-10s %6d %5s %13s %13s %8s %13s %13s %8s" % (
            key[0], key[1], key[2], rate(a, "prefill_tokens_per_s"), rate(b, "prefill_tokens_per_s"),
            ratio(a, b, "prefill_tokens_per_s"), rate(a, "decode_tokens_per_s"), rate(b, "decode_tokens_per_s"),
            ratio(a, b, "decode_tokens_per_s")))
    print("(tokens/s; ratio = ours / torch; '-' = not measured, skipped or timed out)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
