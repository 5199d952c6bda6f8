"""Logits of this PyTorch model for sequences the Java engine ran, so a test can compare the two engines.

  python3 reference_logits.py REQUEST.json OUT.f32

REQUEST.json: {"model": DIR, "cases": [{"ids": [...], "encoder_length": M or null, "masked": P, "from": i}]}:
the fed tokens (JRT pads included), PLA's encoder length, how many leading pads are masked as keys, and the first
position whose logits are wanted. OUT.f32 gets, case after case, the rows from `from` to the last position as
little-endian float32 over the padded vocabulary.
"""
import json
import sys

import torch

from checkpoint import load_model


def main():
    request = json.loads(open(sys.argv[1]).read())
    model = load_model(request["model"]).eval()
    with open(sys.argv[2], "wb") as out, torch.no_grad():
        for case in request["cases"]:
            ids = torch.tensor([case["ids"]])
            mask = None
            if case.get("masked"):
                mask = torch.ones(1, len(case["ids"]))
                mask[0, :case["masked"]] = 0
            logits = model(ids, encoder_length=case.get("encoder_length"), key_mask=mask)[0, case["from"]:]
            out.write(logits.contiguous().to(torch.float32).numpy().astype("<f4").tobytes())


if __name__ == "__main__":
    main()
