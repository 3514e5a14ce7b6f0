#!/usr/bin/env python3
"""Turn a torchvision EfficientNet checkpoint (.pth state_dict) into safetensors.

    /usr/bin/python3 scripts/pth_to_safetensors.py efficientnet_b0_rwightman-7f5810bc.pth model.safetensors

Needs PyTorch (Debian: python3-torch). Writes the format directly (no extra package)."""
import json
import struct
import sys

import torch

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sd = torch.load(sys.argv[1], map_location="cpu")
    if "state_dict" in sd:  # some checkpoints wrap it
        sd = sd["state_dict"]
    header, blobs, off = {}, [], 0
    for name, t in sd.items():
        t = t.detach().contiguous()
        if t.dtype not in DTYPES:
            sys.exit("tensor %s has dtype %s, not one safetensors here takes" % (name, t.dtype))
        b = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(sys.argv[2], "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)
    print("wrote %d tensors to %s" % (len(sd), sys.argv[2]))


if __name__ == "__main__":
    main()
