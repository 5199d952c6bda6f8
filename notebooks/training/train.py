"""Train a tiny JRT-RNN or Based model on synthetic recall (synth_recall.py), CPU only, reproducible from a seed.

  python3 train.py --arch jrt --out models/jrt --steps 4000
  python3 train.py --arch based --twice-fraction 0.5 --out models/based --steps 4000

What makes it learn (shared/docs/training-notes.md): loss only on answer tokens; a local layer (SWA or conv) before
each global one; a curriculum gated on training accuracy (start with one record per document, add one when the
moving answer-token accuracy reaches 0.8, keep a quarter of the batches easier) — without it the loss sits on the
entropy of the answer values for a long time. Prompts are built and padded exactly as the job does at inference
(FDA templates; JRT: left pad with token 220 to the encoder length, pads masked as PLA keys), and tokenized by the
job's own tokenizer (`bin/readtwice tokenize`), so the model is trained on what it will see.
"""
import argparse
import json
import math
import random
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import synth_recall as synth
from checkpoint import ModelSpec, load_model, save_model
from jrt_model import RecurrentLM

REPO = Path(__file__).resolve().parents[2]
PAD = 220  # " ", the harness's pad token for these models
NEWLINE = 198  # "\n": generation stops there
FOLLOW_UPS = 7


def tokenize(texts):
    """GPT-2 ids for each text, from the job's tokenizer (one JVM for the whole list)."""
    lines = "".join(json.dumps({"text": t}) + "\n" for t in texts)
    run = subprocess.run([str(REPO / "bin" / "readtwice"), "tokenize"], input=lines, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit("bin/readtwice tokenize failed (build the project first: mvn -B -q package -DskipTests):\n"
                 + run.stderr[-2000:])
    ids = [json.loads(line)["ids"] for line in run.stdout.splitlines()]
    if len(ids) != len(texts):
        sys.exit(f"tokenize returned {len(ids)} lines for {len(texts)} texts")
    return ids


class Pool:
    """Pre-tokenized training documents with `records` people each: both prompts, answers and follow-ups."""

    def __init__(self, records, docs, seed, split=synth.TRAIN):
        rng = random.Random(f"{seed}/pool/{records}")
        self.records = records
        raw = []
        for _ in range(docs):
            people, text = synth.document(rng, split, records)
            qa = synth.questions(rng, people, 1 + FOLLOW_UPS)
            (key, value), rest = qa[0], qa[1:]
            raw.append([synth.fda_default(text, key), synth.fda_twice(text, key), " " + value]
                       + [s for k, v in rest for s in (synth.upper_first(k) + ":", " " + v)])
        flat = [s for doc in raw for s in doc]
        ids = iter(tokenize(flat))
        self.docs = [[next(ids) for _ in doc] for doc in raw]

    def sample(self, rng, twice):
        doc = self.docs[rng.randrange(len(self.docs))]
        prompt = doc[1] if twice else doc[0]
        pieces = [(doc[2], True)] + [(doc[i], i % 2 == 0) for i in range(3, len(doc))]
        return prompt, pieces


def build_sequence(prompt, pieces, enc_length):
    """Tokens, PLA key mask and the positions whose next token is scored (answer tokens and their newline)."""
    pad = max(0, enc_length - len(prompt)) if enc_length else 0
    tokens = [PAD] * pad + list(prompt)
    mask = [0.0] * pad + [1.0] * len(prompt)
    scored = []
    for ids, is_answer in pieces:
        piece = list(ids) + ([NEWLINE] if is_answer else [])
        if is_answer:
            scored += range(len(tokens) - 1, len(tokens) - 1 + len(piece))
        tokens += piece
    return tokens, mask, scored


def make_batch(samples, enc_length):
    seqs = [build_sequence(p, pieces, enc_length) for p, pieces in samples]
    width = max(len(t) for t, _, _ in seqs)
    ids = torch.full((len(seqs), width), PAD, dtype=torch.long)
    mask = torch.ones(len(seqs), width)
    rows, cols, targets = [], [], []
    for b, (tokens, m, scored) in enumerate(seqs):
        ids[b, :len(tokens)] = torch.tensor(tokens)
        mask[b, :len(m)] = torch.tensor(m)
        rows += [b] * len(scored)
        cols += scored
        targets += [tokens[i + 1] for i in scored]
    return ids, mask, torch.tensor(rows), torch.tensor(cols), torch.tensor(targets)


def initialise(model, layers):
    """GPT-2 style: N(0, 0.02), output projections scaled down by depth, zero biases, default conv init."""
    for name, p in model.named_parameters():
        if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name.endswith("ln_f.weight"):
            continue
        if name.endswith("conv.conv.weight"):
            continue
        if name.endswith(".bias"):
            torch.nn.init.zeros_(p)
        elif name.endswith("out_proj.weight") or name.endswith("fc2.weight"):
            torch.nn.init.normal_(p, std=0.02 / math.sqrt(2 * layers))
        else:
            torch.nn.init.normal_(p, std=0.02)


def optimizer_for(model, lr):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.dim() == 2 and "word_embeddings" not in name else no_decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.98))


def learning_rate(step, steps, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))


def answer_loss(model, batch, enc_length):
    ids, mask, rows, cols, targets = batch
    hidden = model.hidden(ids, encoder_length=enc_length or None, key_mask=mask if enc_length else None)
    logits = model.logits(hidden[rows, cols])
    loss = F.cross_entropy(logits, targets)
    accuracy = (logits.argmax(-1) == targets).float().mean().item()
    return loss, accuracy


def exact_accuracy(model, pool, twice, enc_length, n=96):
    """Share of held-out questions whose whole answer (and newline) is the argmax, teacher-forced."""
    rng = random.Random(0)
    right = 0
    with torch.no_grad():
        for _ in range(n):
            prompt, pieces = pool.sample(rng, twice)
            ids, mask, rows, cols, targets = make_batch([(prompt, pieces[:1])], enc_length)
            hidden = model.hidden(ids, encoder_length=enc_length or None, key_mask=mask if enc_length else None)
            right += int(bool((model.logits(hidden[rows, cols]).argmax(-1) == targets).all()))
    return right / n


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", choices=["jrt", "based"], required=True)
    p.add_argument("--out", required=True, help="model folder to write (config.json + model.safetensors)")
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--minutes", type=float, default=60, help="stop early after this much wall time")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--max-records", type=int, default=8)
    p.add_argument("--docs-per-level", type=int, default=4000)
    p.add_argument("--twice-fraction", type=float, default=0.0, help="share of prompts in the twice template")
    p.add_argument("--enc-length", type=int, default=96, help="JRT encoder length M")
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--warmup", type=int, default=100, help="warm-up steps of the learning rate")
    p.add_argument("--init", help="continue from this model folder (e.g. a short annealing run after a time cap)")
    p.add_argument("--start-records", type=int, default=1, help="curriculum level to start at")
    a = p.parse_args()

    torch.manual_seed(a.seed)
    torch.set_num_threads(1)  # one model per core: two threads were slower than one (training-notes.md)
    kinds = "CSPCSP" if a.arch == "jrt" else "CSLCSL"
    spec = ModelSpec(layer_kinds=kinds, d_model=a.d_model, mlp_hidden=2 * a.d_model,
                     enc_length=a.enc_length if a.arch == "jrt" else 0)
    enc_length = spec.enc_length
    if a.init:
        model = load_model(a.init)
        spec, enc_length = model.spec, model.spec.enc_length
    else:
        model = RecurrentLM(spec)
        initialise(model, len(kinds))
    opt = optimizer_for(model, a.lr)

    started = time.time()
    pools = {n: Pool(n, a.docs_per_level, a.seed) for n in range(1, a.max_records + 1)}
    held_out = {n: Pool(n, 200, a.seed + 1000, synth.EVAL) for n in (1, 2, 4)}
    log = open(Path(a.out).with_suffix(".log"), "a")

    def say(record):
        record["minutes"] = round((time.time() - started) / 60, 2)
        log.write(json.dumps(record) + "\n")
        log.flush()

    say({"event": "start", "arch": a.arch, "args": vars(a), "parameters": sum(t.numel() for t in model.parameters())})
    rng = random.Random(a.seed)
    level, ema, seen = a.start_records, 0.0, 0
    step = 0
    for step in range(a.steps):
        if time.time() - started > a.minutes * 60:
            say({"event": "time limit", "step": step})
            break
        for group in opt.param_groups:
            group["lr"] = learning_rate(step, a.steps, a.lr, a.warmup)
        easier = level > 1 and rng.random() < 0.25
        records = rng.randrange(1, level) if easier else level
        samples = [pools[records].sample(rng, rng.random() < a.twice_fraction) for _ in range(a.batch)]
        loss, accuracy = answer_loss(model, make_batch(samples, enc_length), enc_length)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if not easier:
            seen += 1
            ema = accuracy if seen == 1 else 0.95 * ema + 0.05 * accuracy
            if seen >= 20 and ema >= 0.8 and level < a.max_records:
                level, ema, seen = level + 1, 0.0, 0
                say({"event": "level", "step": step, "records": level})
        if step % 50 == 0:
            say({"event": "train", "step": step, "records": level, "loss": round(loss.item(), 4),
                 "answer_token_accuracy_ema": round(ema, 3)})
        if step % 500 == 499:
            save_model(model, a.out, metadata={"step": step + 1, "arch": a.arch})
            model.eval()
            say({"event": "eval", "step": step + 1, **{
                f"exact_{n}r_{'twice' if tw else 'default'}": exact_accuracy(model, held_out[n], tw, enc_length)
                for n in (1, 2, 4) for tw in ((False, True) if a.twice_fraction > 0 else (False,))}})
            model.train()
    save_model(model, a.out, metadata={"step": step + 1, "arch": a.arch, "seed": a.seed})
    say({"event": "done", "step": step + 1, "records": level})


if __name__ == "__main__":
    main()
