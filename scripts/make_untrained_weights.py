#!/usr/bin/env python3
"""Write UNTRAINED EfficientNet weights (seeded random values) as a timm-style
folder: model.safetensors (torchvision tensor names) + config.json.

For running the pipeline end to end where the published weights cannot be
downloaded. The labels such a model prints are meaningless; config.json says
so in its "architecture"-independent "untrained" field and the tools print it.

Needs only numpy. Usage: make_untrained_weights.py OUT_DIR [--variant b0] [--seed 1]
Real weights: see README.md ("Getting real weights").
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np

SCALING = [(1.0, 1.0, 224), (1.0, 1.1, 240), (1.1, 1.2, 260), (1.2, 1.4, 300),
           (1.4, 1.8, 380), (1.6, 2.2, 456), (1.8, 2.6, 528), (2.0, 3.1, 600)]
# B0 stages: expand ratio, kernel, stride, out channels, repeats
STAGES = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
          (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]


def round_channels(c, w):
    r = max(8, int(c * w + 4) // 8 * 8)
    return r + 8 if r < 0.9 * c * w else r


def tensors(variant, rng):
    w, d, _ = SCALING[variant]
    out = {}

    def conv(name, shape):
        fan_in = int(np.prod(shape[1:]))
        out[name + ".weight"] = (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(np.float32)

    def bn(name, c):
        out[name + ".weight"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
        out[name + ".bias"] = rng.normal(0.0, 0.1, c).astype(np.float32)
        out[name + ".running_mean"] = rng.normal(0.0, 0.1, c).astype(np.float32)
        out[name + ".running_var"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
        out[name + ".num_batches_tracked"] = np.array(0, dtype=np.int64)

    cin = round_channels(32, w)
    conv("features.0.0", (cin, 3, 3, 3))
    bn("features.0.1", cin)
    for s, (e, k, _, c, n) in enumerate(STAGES):
        cout = round_channels(c, w)
        for j in range(math.ceil(n * d - 1e-9)):
            p = "features.%d.%d.block." % (s + 1, j)
            cexp, i = cin * e, 0
            if e != 1:
                conv(p + "0.0", (cexp, cin, 1, 1))
                bn(p + "0.1", cexp)
                i = 1
            conv(p + "%d.0" % i, (cexp, 1, k, k))
            bn(p + "%d.1" % i, cexp)
            se = max(1, cin // 4)
            conv(p + "%d.fc1" % (i + 1), (se, cexp, 1, 1))
            out[p + "%d.fc1.bias" % (i + 1)] = np.zeros(se, np.float32)
            conv(p + "%d.fc2" % (i + 1), (cexp, se, 1, 1))
            out[p + "%d.fc2.bias" % (i + 1)] = np.zeros(cexp, np.float32)
            conv(p + "%d.0" % (i + 2), (cout, cexp, 1, 1))
            bn(p + "%d.1" % (i + 2), cout)
            cin = cout
    head = round_channels(1280, w)
    conv("features.8.0", (head, cin, 1, 1))
    bn("features.8.1", head)
    out["classifier.1.weight"] = (rng.standard_normal((1000, head)) * 0.01).astype(np.float32)
    out["classifier.1.bias"] = np.zeros(1000, np.float32)
    return out


def save_safetensors(t, path):
    header, blobs, off = {}, [], 0
    for name, a in t.items():
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}[a.dtype]
        b = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt", "untrained": "random weights, labels are meaningless"}
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--variant", default="b0")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    v = int(a.variant.lower().lstrip("b"))
    if not 0 <= v <= 7:
        sys.exit("variant must be b0..b7")
    os.makedirs(a.out_dir, exist_ok=True)
    save_safetensors(tensors(v, np.random.default_rng(a.seed)), os.path.join(a.out_dir, "model.safetensors"))
    size = SCALING[v][2]
    cfg = {"architecture": "efficientnet_b%d" % v, "num_classes": 1000, "untrained": True,
           "pretrained_cfg": {"input_size": [3, size, size], "interpolation": "bicubic",
                              "crop_pct": 0.875, "crop_mode": "center",
                              "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}}
    with open(os.path.join(a.out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    print("wrote UNTRAINED EfficientNet-B%d weights to %s" % (v, a.out_dir))


if __name__ == "__main__":
    main()
