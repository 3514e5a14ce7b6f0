#!/usr/bin/python3
"""Build benchmark models: torchvision EfficientNet B0-B7 with seeded random weights.

For each requested variant N this writes, into bench/out/ (or --out DIR):
  bN.onnx         the model exported by torch.onnx.export (opset 13, input "input"
                  [1,3,S,S], output "logits" [1,1000], fixed batch 1)
  bN.safetensors  the SAME weights in torchvision tensor naming (features.0.0.weight, ...)
and, with --dynamic-batch, also
  bN.dynbatch.onnx  the same model with a free batch dimension ([B,3,S,S] -> [B,1000]), for
                  batch throughput (bench/compare.sh with BATCH=...); when bN.safetensors
                  exists, the rebuilt weights are checked to be the same as its before export

Files that already exist are left alone (delete them to rebuild).

Run with Debian's interpreter, which has torch 1.13 / torchvision 0.14 / numpy:
  /usr/bin/python3 bench/make_models.py            # all of b0..b7
  /usr/bin/python3 bench/make_models.py b0 b4      # just these

The weights are random but not degenerate: BatchNorm scale/shift are perturbed and the
running statistics are calibrated with two train-mode passes over random images, so that
the logits still depend on the input (with untouched or purely random BN statistics the
output is almost constant, see shared/reference/efficientnet.md). Speed does not depend on
the values; this only matters if the files are reused for correctness checks.
"""

import argparse
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torchvision

RESOLUTION = {0: 224, 1: 240, 2: 260, 3: 300, 4: 380, 5: 456, 6: 528, 7: 600}

SAFETENSORS_DTYPE = {
    torch.float32: ("F32", "<f4"),
    torch.int64: ("I64", "<i8"),
}


def parse_variant(text):
    t = text.lower().strip()
    if t.startswith("b"):
        t = t[1:]
    if not t.isdigit() or int(t) not in RESOLUTION:
        raise argparse.ArgumentTypeError("variant must be one of b0..b7, got %r" % text)
    return int(t)


def build_model(n, seed):
    """torchvision efficientnet_bN, seeded random weights, BN statistics calibrated, eval mode."""
    torch.manual_seed(seed + n)
    model = getattr(torchvision.models, "efficientnet_b%d" % n)(weights=None)

    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.normal_(0.0, 0.1)
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average over the calibration passes

    # Calibration: two train-mode passes on small random batches. BatchNorm layers
    # normalise with the batch statistics and record them; dropout and stochastic
    # depth are also active in train mode, which is fine for a statistics estimate.
    s = RESOLUTION[n]
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(2, 3, s, s))
    model.eval()
    return model


def tensor_bytes(t):
    dtype, np_dtype = SAFETENSORS_DTYPE[t.dtype]
    data = t.detach().cpu().contiguous().numpy().astype(np_dtype, copy=False)
    return dtype, list(t.shape), np.ascontiguousarray(data).tobytes()


def write_safetensors(path, state_dict):
    """Write a state_dict in the safetensors format.

    Layout: u64 little-endian header length N, N bytes of JSON header (padded with spaces
    to a multiple of 8), then the data buffer. Tensors are stored back to back, widest
    dtype first (I64 before F32) so every tensor starts aligned to its element size.
    """
    entries = []
    for name, t in state_dict.items():
        dtype, shape, raw = tensor_bytes(t)
        entries.append((name, dtype, shape, raw, t.element_size()))
    entries.sort(key=lambda e: (-e[4], e[0]))

    header = {}
    offset = 0
    for name, dtype, shape, raw, _ in entries:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}

    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)

    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, raw, _ in entries:
            f.write(raw)
    os.replace(tmp, path)


def check_safetensors(path, state_dict):
    """Read the file back with a minimal independent parser and compare with the model."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    assert header.pop("__metadata__") == {"format": "pt"}
    assert set(header) == set(state_dict), "tensor names differ"
    for name, info in header.items():
        b, e = info["data_offsets"]
        np_dtype = {"F32": "<f4", "I64": "<i8"}[info["dtype"]]
        arr = np.frombuffer(data[b:e], dtype=np_dtype).reshape(info["shape"])
        ref = state_dict[name].detach().cpu().numpy()
        assert arr.shape == ref.shape and np.array_equal(arr, ref), name
    return len(header)


def export_onnx(path, model, s, dynamic_batch=False):
    tmp = path + ".tmp"
    dummy = torch.randn(1, 3, s, s)
    axes = {"input": {0: "batch"}, "logits": {0: "batch"}} if dynamic_batch else None
    with torch.no_grad():
        torch.onnx.export(model, dummy, tmp,
                          opset_version=13,
                          input_names=["input"],
                          output_names=["logits"],
                          dynamic_axes=axes,
                          do_constant_folding=True)
    os.replace(tmp, path)


def make_dynamic_batch(n, args):
    """bN.dynbatch.onnx: the same seeded model with a free batch dimension."""
    path = os.path.join(args.out, "b%d.dynbatch.onnx" % n)
    st_path = os.path.join(args.out, "b%d.safetensors" % n)
    if os.path.exists(path):
        print("b%d: %s exists, skipping" % (n, path), file=sys.stderr)
        return
    t0 = time.time()
    model = build_model(n, args.seed)
    if os.path.exists(st_path):
        check_safetensors(st_path, model.state_dict())  # the same weights as bN.safetensors
    export_onnx(path, model, RESOLUTION[n], dynamic_batch=True)
    print("b%d: wrote %s (%.1f MB), %.1f s" % (n, path, os.path.getsize(path) / 1e6, time.time() - t0),
          file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("variants", nargs="*", type=parse_variant,
                    help="b0..b7 (default: all)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"),
                    help="output directory (default: bench/out)")
    ap.add_argument("--seed", type=int, default=1234, help="base random seed (variant N uses seed+N)")
    ap.add_argument("--dynamic-batch", action="store_true",
                    help="also write bN.dynbatch.onnx (free batch dimension)")
    args = ap.parse_args()

    variants = args.variants or sorted(RESOLUTION)
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(os.cpu_count() or 1)

    for n in variants:
        onnx_path = os.path.join(args.out, "b%d.onnx" % n)
        st_path = os.path.join(args.out, "b%d.safetensors" % n)
        if os.path.exists(onnx_path) and os.path.exists(st_path):
            print("b%d: %s and %s exist, skipping" % (n, onnx_path, st_path), file=sys.stderr)
            if args.dynamic_batch:
                make_dynamic_batch(n, args)
            continue
        if os.path.exists(onnx_path) != os.path.exists(st_path):
            # Only one of the pair exists: rebuild both so they hold the same weights.
            print("b%d: only one of the pair exists, rebuilding both" % n, file=sys.stderr)

        t0 = time.time()
        model = build_model(n, args.seed)
        state = model.state_dict()
        s = RESOLUTION[n]
        print("b%d: built (%d tensors, %.1f M parameters), %.1f s" % (
            n, len(state), sum(p.numel() for p in model.parameters()) / 1e6, time.time() - t0),
            file=sys.stderr)

        write_safetensors(st_path, state)
        check_safetensors(st_path, state)
        print("b%d: wrote %s (%.1f MB)" % (n, st_path, os.path.getsize(st_path) / 1e6), file=sys.stderr)

        t1 = time.time()
        export_onnx(onnx_path, model, s)
        print("b%d: wrote %s (%.1f MB), export %.1f s, total %.1f s" % (
            n, onnx_path, os.path.getsize(onnx_path) / 1e6, time.time() - t1, time.time() - t0),
            file=sys.stderr)
        if args.dynamic_batch:
            make_dynamic_batch(n, args)


if __name__ == "__main__":
    main()
