#!/usr/bin/env python3
"""scripts/pth_to_safetensors.py turns a torchvision .pth state_dict into a file the engine loads,
with the same logits as PyTorch.   test_pth.py EFFNET OUT_DIR"""
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    import torch
    import refmodels as rm
except ImportError as e:
    print("skipped: %s" % e)
    sys.exit(77)


def main():
    effnet, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    model = rm.calibrate_bn(rm.build_torchvision(0, seed=5), 224, seed=6)
    pth, st = os.path.join(out, "b0.pth"), os.path.join(out, "b0_from_pth.safetensors")
    torch.save(model.state_dict(), pth)
    subprocess.run(["/usr/bin/python3", os.path.join(HERE, "..", "..", "scripts", "pth_to_safetensors.py"),
                    pth, st], check=True)
    x = np.random.default_rng(7).standard_normal((2, 3, 224, 224)).astype(np.float32)
    np.save(os.path.join(out, "x.npy"), x)
    y_path = os.path.join(out, "y.npy")
    subprocess.run([effnet, "run", "--weights", st, "--input", os.path.join(out, "x.npy"), "--logits-out", y_path],
                   check=True, stdout=subprocess.DEVNULL)
    ref = rm.logits_of(model, x)
    rel = np.linalg.norm(np.load(y_path) - ref) / np.linalg.norm(ref)
    print("relative L2 %.2e" % rel)
    if not rel <= 1e-4:
        sys.exit("FAIL: logits of the converted weights differ from PyTorch's")
    print("ok")


if __name__ == "__main__":
    main()
