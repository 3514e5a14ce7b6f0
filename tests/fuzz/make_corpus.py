#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

The seeds are small, hand-made, real-looking inputs: timm config.json and
safetensors headers, safetensors files with each float dtype, .npy files as
numpy.save writes them (versions 1.0, 2.0, 3.0), labels files, and frame-path
requests in fuzz_prep.c's byte encoding. Run it again after changing a
target's input encoding; the fuzzers only read these files, they never write
into the repository's corpus (scripts/fuzz.sh fuzzes a copy).
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


TIMM_CONFIG = {
    "architecture": "efficientnet_b0",
    "num_classes": 1000,
    "num_features": 1280,
    "pretrained_cfg": {
        "tag": "ra_in1k",
        "custom_load": False,
        "input_size": [3, 224, 224],
        "test_input_size": [3, 256, 256],
        "fixed_input_size": False,
        "interpolation": "bicubic",
        "crop_pct": 0.875,
        "test_crop_pct": 1.0,
        "crop_mode": "center",
        "mean": [0.485, 0.456, 0.406],
        "std": [0.229, 0.224, 0.225],
        "num_classes": 1000,
        "pool_size": [7, 7],
        "first_conv": "conv_stem",
        "classifier": "classifier",
    },
}
TF_CONFIG = {
    "architecture": "tf_efficientnet_b3",
    "num_classes": 1000,
    "pretrained_cfg": {
        "input_size": [3, 300, 300],
        "interpolation": "bicubic",
        "crop_pct": 0.904,
        "mean": [0.5, 0.5, 0.5],
        "std": [0.5, 0.5, 0.5],
    },
}
SMALL_CONFIG = {"architecture": "efficientnet_b1", "num_classes": 37, "input_size": [3, 240, 240],
                "interpolation": "bilinear", "crop_pct": 0.882, "mean": [0.485, 0.456, 0.406],
                "std": [0.229, 0.224, 0.225], "label_names": ["cat", "dog"]}


def json_seeds():
    write("fuzz_json", "config_timm.json", json.dumps(TIMM_CONFIG, indent=4))
    write("fuzz_json", "config_tf.json", json.dumps(TF_CONFIG))
    write("fuzz_json", "st_header.json", json.dumps({
        "__metadata__": {"format": "pt", "effnet.untrained": "1"},
        "conv_stem.weight": {"dtype": "F32", "shape": [32, 3, 3, 3], "data_offsets": [0, 3456]},
        "bn1.running_var": {"dtype": "F16", "shape": [32], "data_offsets": [3456, 3520]}}, separators=(",", ":")))
    write("fuzz_json", "escapes.json",
          '{"a\\u00e9\\ud83d\\ude00": ["\\n\\t\\"\\\\\\/", -0.0, 1e-7, 1.5E+300, 9007199254740993, true, false,'
          ' null], "": {}, "n": [[[]]], "\u00fc": -12}')
    write("fuzz_json", "numbers.json", "[0, -1, 3.14159, 2e10, -4.5e-3, 1E2, 123456789012345678901234567890]")


def config_seeds():
    write("fuzz_config", "timm_b0.json", json.dumps(TIMM_CONFIG, indent=4))
    write("fuzz_config", "tf_b3.json", json.dumps(TF_CONFIG))
    write("fuzz_config", "b1_bilinear.json", json.dumps({
        "architecture": "efficientnet_b1", "num_classes": 37, "untrained": True,
        "pretrained_cfg": {"input_size": [3, 240, 240], "interpolation": "bilinear", "crop_pct": 0.882,
                           "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "num_classes": 37}}))
    write("fuzz_config", "b7_nulls.json", '{"architecture": "tf_efficientnet_b7", "num_classes": null, '
          '"pretrained_cfg": {"input_size": [3, 600, 600], "crop_pct": 0.949, "mean": null, "std": null}}')
    write("fuzz_config", "minimal.json", '{"num_classes": 1000}')


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw bytes)."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def f32(*v):
    return struct.pack("<%df" % len(v), *v)


def safetensors_seeds():
    write("fuzz_safetensors", "f32.safetensors", safetensors(
        [("classifier.weight", "F32", [2, 3], f32(0.5, -1.0, 2.0, 0.0, 1e-3, -7.25)),
         ("classifier.bias", "F32", [2], f32(0.1, -0.1))], {"format": "pt"}))
    write("fuzz_safetensors", "half.safetensors", safetensors(
        [("bn1.weight", "F16", [4], struct.pack("<4e", 1.0, 0.5, -2.0, 65504.0)),
         ("bn1.bias", "BF16", [2, 2], bytes.fromhex("803f00c0003f0000")),
         ("bn1.running_mean", "F64", [2], struct.pack("<2d", 0.25, -3.5))], {"effnet.untrained": "1"}))
    write("fuzz_safetensors", "ints.safetensors", safetensors(
        [("bn1.num_batches_tracked", "I64", [], struct.pack("<q", 12345)),
         ("mask", "BOOL", [3], b"\x01\x00\x01"),
         ("idx", "I32", [2], struct.pack("<2i", 7, -1)),
         ("empty", "F32", [0, 4], b"")]))
    write("fuzz_safetensors", "scalar.safetensors", safetensors([("t", "F32", [], f32(3.0))]))


def npy(shape, data=b"", version=(1, 0), descr="<f4", fortran=False):
    shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", shape_text)
    pre = 10 if version[0] == 1 else 12
    d = d.encode("latin-1")
    pad = -(pre + len(d) + 1) % 64
    d += b" " * pad + b"\n"
    if version[0] == 1:
        head = b"\x93NUMPY" + bytes(version) + struct.pack("<H", len(d))
    else:
        head = b"\x93NUMPY" + bytes(version) + struct.pack("<I", len(d))
    return head + d + data


def npy_seeds():
    write("fuzz_npy", "logits_v1.npy", npy((2, 5), f32(*[i * 0.5 - 2 for i in range(10)])))
    write("fuzz_npy", "input_v2.npy", npy((1, 3, 2, 2), f32(*[i / 12 for i in range(12)]), version=(2, 0)))
    write("fuzz_npy", "v3.npy", npy((3,), f32(1.0, 2.0, 3.0), version=(3, 0)))
    write("fuzz_npy", "scalar.npy", npy((), f32(42.0)))
    write("fuzz_npy", "empty.npy", npy((0, 7)))
    write("fuzz_npy", "big_endian.npy", npy((2,), struct.pack(">2f", 1.0, 2.0), descr=">f4"))
    write("fuzz_npy", "fortran.npy", npy((2, 2), f32(1, 2, 3, 4), fortran=True))


def labels(classes, text):
    return struct.pack("<H", classes - 1) + text.encode("utf-8")


def labels_seeds():
    write("fuzz_labels", "three.bin", labels(3, "cat\ndog\nbird\n"))
    write("fuzz_labels", "crlf.bin", labels(4, "tench\r\ngoldfish\r\ngreat white shark  \r\ntiger shark"))
    write("fuzz_labels", "utf8_bom.bin", labels(3, "\ufeffcaf\u00e9\n\u00c4pfel\n\u732b \U0001F408\n"))
    write("fuzz_labels", "latin1.bin", struct.pack("<H", 1) + b"na\xefve\ncr\xe8me\n")
    names = ["tench", "goldfish", "great white shark", "tiger shark", "hammerhead", "electric ray",
             "stingray", "cock", "hen", "ostrich"]
    write("fuzz_labels", "ten.bin", labels(10, "\n".join(names) + "\n"))


# ---- fuzz_prep.c's encoding (see LLVMFuzzerTestOneInput and frame_make) ----

FORMATS = ["rgb", "bgr", "rgbx", "bgrx", "xrgb", "xbgr", "gray8", "i420", "yv12", "nv12", "nv21", "yuy2", "uyvy",
           "yvyu"]


def u8(v):
    return struct.pack("<B", v)


def u16(v):
    return struct.pack("<H", v)


def param(v, lo, hi):
    return u8(0) + u16(round((v - lo) / (hi - lo) * 65535))


def prep_request(size, fit, filt, crop, frames, unnormalized=0, threads=1):
    """frames: list (1 or 2) of (format, w, h, matrix, full_range, site, mode, pads, rects or None)."""
    b = u16(size - 8) + u8(fit) + u8(filt) + param(crop, 0.5, 1.0)
    for m, s in zip((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)):
        b += param(m, 0.0, 1.0) + param(s, 0.1, 1.0)
    b += u8(unnormalized | (threads - 1) << 3 | (len(frames) > 1) << 4)
    for fmt, w, h, matrix, full, site, mode, pads, rects in frames:
        scale = 0 if max(w, h) <= 64 else 5 if max(w, h) <= 640 else 7
        b += u8(FORMATS.index(fmt)) + u8(scale) + u16(w - 1) + u16(h - 1) + u8(matrix) + u8(full) + u8(site)
        b += u8(mode)
        if mode >= 96:
            b += b"".join(u8(p) for p in pads)
        if rects is None:
            b += u8(240)
            continue
        b += u8(len(rects) - 1)
        for x, y, rw, rh in rects:  # inside spans: start = u % n, len = 1 + v % (n - start)
            b += u8(0) + u16(x) + u16(rw - 1) + u8(0) + u16(y) + u16(rh - 1)
    return b


def prep_seeds():
    # name: (S, fit, filter, crop_pct, frames)
    write("fuzz_prep", "rgb_whole_bicubic.bin",
          prep_request(32, 0, 0, 0.875, [("rgb", 40, 30, 0, 0, 0, 0, [], None)]))
    write("fuzz_prep", "i420_rois_letterbox.bin",
          prep_request(24, 1, 1, 0.875, [("i420", 50, 36, 1, 0, 1, 100, [3, 0, 5],
                                           [(0, 0, 50, 36), (7, 5, 13, 9), (49, 35, 1, 1)])], threads=2))
    write("fuzz_prep", "nv12_stretch_fast.bin",
          prep_request(16, 2, 2, 1.0, [("nv12", 33, 17, 0, 1, 0, 120, [1, 2], [(1, 1, 31, 15)])]))
    write("fuzz_prep", "yuy2_crop_two_rounds.bin",
          prep_request(20, 0, 1, 0.95, [("yuy2", 31, 22, 2, 0, 1, 0, [], [(3, 2, 20, 18), (0, 0, 31, 22)]),
                                        ("uyvy", 17, 40, 0, 0, 0, 130, [6], [(1, 3, 15, 30)])]))
    write("fuzz_prep", "gray_upscale.bin",
          prep_request(64, 0, 0, 0.875, [("gray8", 9, 5, 0, 0, 0, 0, [], None)], unnormalized=1))
    write("fuzz_prep", "bgrx_large_rois.bin",
          prep_request(48, 1, 0, 0.875, [("bgrx", 640, 360, 0, 0, 0, 0, [],
                                           [(0, 0, 640, 360), (100, 50, 200, 100), (637, 1, 3, 359)])]))
    write("fuzz_prep", "yv12_odd.bin",
          prep_request(28, 0, 0, 0.9, [("yv12", 45, 29, 1, 1, 3, 101, [0, 7, 7],
                                         [(1, 1, 43, 27), (44, 28, 1, 1)])]))


def main():
    json_seeds()
    config_seeds()
    safetensors_seeds()
    npy_seeds()
    labels_seeds()
    prep_seeds()
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print("seed corpora in %s: %d bytes" % (OUT, total), file=sys.stderr)


if __name__ == "__main__":
    main()
