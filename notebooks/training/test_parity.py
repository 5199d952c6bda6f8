"""The PyTorch model against the golden reference logits: the same checks the Java engine passes.

Run: python3 -m unittest discover -s notebooks/training -p 'test_*.py'
Every golden model: the forward logits, every decode-step logit (teacher-forced through the parallel form, which
equals prefill + decode for PLA with the prompt's encoder length and key mask, and for Based equals the
single-update recurrence, `parallel_consistent`), and the greedy tokens exactly.
"""
import json
import os
import unittest
from pathlib import Path

import torch

from checkpoint import load_model

GOLDEN = Path(os.environ.get("READTWICE_GOLDEN", Path(__file__).resolve().parents[2].parent / "shared" / "golden"))
MODELS = ["tiny-a", "tiny-b", "tiny-based-a", "tiny-gpt2-jrt", "tiny-gpt2-based"]


def tolerance(ref):
    return 2e-4 + 1e-5 * abs(ref)


class Inputs:
    """What the model sees for one golden case: ids, PLA encoder length and key mask (JRT), prompt length."""

    def __init__(self, case, jrt):
        self.prompt = case["padded_input_ids"]
        mask = case.get("pla_key_mask") if jrt else None
        self.encoder_length = min(case["enc_length"], len(self.prompt)) if jrt else None
        self.mask = mask

    def run(self, model, ids):
        key_mask = None
        if self.mask is not None:
            key_mask = torch.tensor([self.mask + [1] * (len(ids) - len(self.mask))], dtype=torch.float32)
        with torch.no_grad():
            return model(torch.tensor([ids]), encoder_length=self.encoder_length, key_mask=key_mask)[0]


class GoldenParityTest(unittest.TestCase):
    def assert_rows(self, rows, expected, where):
        """expected: a list of full logit rows, or the compact form (chosen logit, logsumexp, top-5)."""
        if isinstance(expected, list):
            for row, ref in zip(rows, expected):
                ref = torch.tensor(ref, dtype=torch.float64)
                gap = (row.double() - ref).abs()
                bound = 2e-4 + 1e-5 * ref.abs()
                self.assertTrue(bool((gap <= bound).all()), f"{where}: max |delta| {gap.max().item():.3g}")
            return
        for i, row in enumerate(rows):
            row = row.double()
            checks = [(row[expected["chosen_ids"][i]].item(), expected["chosen_logit"][i], "chosen logit"),
                      (torch.logsumexp(row, 0).item(), expected["logsumexp"][i], "logsumexp")]
            checks += [(row[t].item(), ref, f"top-5 id {t}")
                       for t, ref in zip(expected["top5_ids"][i], expected["top5_logits"][i])]
            for got, ref, what in checks:
                self.assertLessEqual(abs(got - ref), tolerance(ref), f"{where} row {i} {what}: {got} vs {ref}")
            self.assertEqual(int(row.argmax()), expected["top5_ids"][i][0], f"{where} row {i}: argmax")

    def test_golden_models(self):
        if not GOLDEN.is_dir():
            self.skipTest(f"no golden data at {GOLDEN} (set READTWICE_GOLDEN)")
        for name in MODELS:
            with self.subTest(model=name):
                folder = GOLDEN / name
                model = load_model(folder).eval()
                jrt = model.spec.is_jrt
                for case in json.loads((folder / "cases.json").read_text())["cases"]:
                    where = f"{name}/{case['name']}"
                    inputs = Inputs(case, jrt)
                    logits = inputs.run(model, inputs.prompt)
                    fwd = case["forward"]
                    expected = fwd["logits"] if "logits" in fwd else fwd
                    self.assert_rows([logits[p] for p in fwd["positions"]], expected, where + " forward")

                    gen = case["generation"] if jrt else case["parallel_consistent"]
                    full = case["generation"]["full_sequence"]
                    n = len(case["generation"]["new_tokens"])
                    start = len(inputs.prompt) - 1
                    steps = inputs.run(model, full[:-1])[start:start + n]
                    key = "step_logits" if jrt else "teacher_forced_step_logits"
                    expected = gen[key] if key in gen else gen[key + "_compact"]
                    self.assert_rows(list(steps), expected, where + " steps")

                    want = case["generation"]["new_tokens"] if jrt else gen["greedy_new_tokens"]
                    ids = list(inputs.prompt)
                    for _ in range(len(want)):
                        ids.append(int(inputs.run(model, ids)[-1].argmax()))
                    self.assertEqual(ids[len(inputs.prompt):], want, where + " greedy tokens")


if __name__ == "__main__":
    unittest.main()
