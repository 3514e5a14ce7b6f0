#!/usr/bin/python3
"""Bad-input suite for the effnet command-line tool.

Usage:
  /usr/bin/python3 tests/test_bad_input.py --effnet build/nn/effnet --out DIR

(/usr/bin/python3 because it needs Debian's torch / torchvision / numpy.)

It writes a valid torchvision EfficientNet-B0 checkpoint (random weights, fixed
seed) into DIR with its own small safetensors writer, checks that `effnet info`
and `effnet run` accept it, and then feeds the tool one damaged file (or bad
argument) per case. Every case must end with:
  * a non-zero exit status that is not a signal (no crash), within the timeout;
  * nothing on stdout that looks like classification output;
  * stderr that is exactly ONE non-empty line starting with "effnet: " and
    containing the case's phrases (taken from the engine's real messages);
  * no sanitizer / crash text ("Sanitizer", "runtime error", "Segmentation",
    "core dumped", "Aborted") anywhere on stderr.
So it can also be run against an ASan/UBSan build of the tool.

Prints one PASS/FAIL line per case and exits non-zero when any case fails.
"""
import argparse
import json
import os
import shlex
import shutil
import struct
import subprocess
import sys
import threading
import time

import numpy as np
import torch
import torchvision

TIMEOUT_S = 120
CRASH_WORDS = ("Sanitizer", "runtime error", "Segmentation", "core dumped", "Aborted")

# ---------------------------------------------------------------------------
# safetensors writer (independent of the engine and of the other test helpers)

DTYPE_OF = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
            torch.int64: "I64", torch.int32: "I32"}


def st_pieces(state_dict):
    """Returns (header dict without __metadata__, data bytes), tensors in order."""
    header, blobs, off = {}, [], 0
    for name, t in state_dict.items():
        t = t.detach().contiguous().cpu()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().tobytes()
        else:
            raw = t.numpy().tobytes()
        header[name] = {"dtype": DTYPE_OF[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    return header, b"".join(blobs)


def st_bytes(header, data, metadata=True, raw_header=None):
    """Serializes a header dict (or raw header bytes) plus the data buffer."""
    if raw_header is None:
        h = dict(header)
        if metadata:
            h = {"__metadata__": {"format": "pt"}, **h}
        raw_header = json.dumps(h, separators=(",", ":")).encode()
        raw_header += b" " * (-len(raw_header) % 8)  # pad like the reference writer
    return struct.pack("<Q", len(raw_header)) + raw_header + data


def write(path, blob):
    with open(path, "wb") as f:
        f.write(blob)
    return path


# ---------------------------------------------------------------------------
# running the tool

class Result:
    def __init__(self, rc, out, err, secs, timed_out=False):
        self.rc, self.out, self.err, self.secs, self.timed_out = rc, out, err, secs, timed_out


# A cross-built effnet runs through this command (tests/meson.build sets it
# from the cross file's exe_wrapper, e.g. "qemu-aarch64").
EXE_WRAPPER = shlex.split(os.environ.get("EFFNET_EXE_WRAPPER", ""))


def run_tool(effnet, args):
    t0 = time.time()
    try:
        p = subprocess.run(EXE_WRAPPER + [effnet] + args, capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        return Result(None, (e.stdout or b"").decode("utf-8", "replace"),
                      (e.stderr or b"").decode("utf-8", "replace"), time.time() - t0, True)
    return Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                  p.stderr.decode("utf-8", "replace"), time.time() - t0)


def crash_text(err):
    return [w for w in CRASH_WORDS if w in err]


class Suite:
    def __init__(self, effnet):
        self.effnet = effnet
        self.failures = []
        self.count = 0

    def report(self, name, ok, line, why=""):
        self.count += 1
        tag = "PASS" if ok else "FAIL"
        msg = "%s  %-34s %s" % (tag, name, line)
        if not ok:
            msg += "\n      -> " + why
            self.failures.append(name)
        print(msg, flush=True)

    def expect_ok(self, name, args):
        r = run_tool(self.effnet, args)
        problems = []
        if r.timed_out:
            problems.append("timed out after %d s" % TIMEOUT_S)
        elif r.rc != 0:
            problems.append("exit status %d" % r.rc)
        if crash_text(r.err):
            problems.append("crash/sanitizer text on stderr")
        if not r.out.strip():
            problems.append("no output on stdout")
        first = r.out.strip().splitlines()[0] if r.out.strip() else ""
        self.report(name, not problems, "(ok, %.1f s) %s" % (r.secs, first[:100]),
                    "; ".join(problems) + "\n      stderr: " + r.err.strip()[:2000])
        return not problems

    def expect_error(self, name, args, phrases, want_rc=None):
        """phrases: strings that must all occur in the one stderr line."""
        r = run_tool(self.effnet, args)
        err = r.err
        lines = err[:-1].split("\n") if err.endswith("\n") else err.split("\n")
        line = lines[0] if lines else ""
        problems = []
        if r.timed_out:
            problems.append("hung: no exit within %d s" % TIMEOUT_S)
        elif r.rc < 0:
            problems.append("killed by signal %d" % -r.rc)
        elif r.rc == 0:
            problems.append("exit status 0 (silent success)")
        elif want_rc is not None and r.rc != want_rc:
            problems.append("exit status %d, want %d" % (r.rc, want_rc))
        bad = crash_text(err)
        if bad:
            problems.append("crash/sanitizer text on stderr: %s" % ", ".join(bad))
        if r.out.strip():
            problems.append("stdout is not empty: %r" % r.out[:200])
        if err == "" or len(lines) != 1 or not line.strip():
            problems.append("stderr is not exactly one non-empty line (%d lines)" % len(lines))
        if not line.startswith("effnet: "):
            problems.append("stderr does not start with 'effnet: '")
        for p in phrases:
            if p not in line:
                problems.append("message lacks %r" % p)
        shown = line if len(lines) <= 1 else line + "  [+%d more lines]" % (len(lines) - 1)
        self.report(name, not problems, "[rc %s] %s" % (r.rc, shown),
                    "; ".join(problems) + ("\n      stderr: %r" % (err if len(lines) <= 3 else
                                                                  "\n".join(lines[:2]) + "\n..."))[:1500])


# ---------------------------------------------------------------------------

def make_valid(out):
    torch.manual_seed(1234)
    model = torchvision.models.efficientnet_b0(weights=None).eval()
    sd = model.state_dict()
    header, data = st_pieces(sd)
    path = write(os.path.join(out, "valid.safetensors"), st_bytes(header, data))
    return sd, header, data, path


def png_bytes(rgb):
    """An 8-bit RGB PNG (zlib + struct, no PIL)."""
    import zlib

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xffffffff)
    h, w = rgb.shape[:2]
    raw = b"".join(b"\0" + rgb[r].tobytes() for r in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def isa_supported(effnet, isa, probe):
    """False when `effnet prep --isa ISA` says the kernels are not available."""
    r = run_tool(effnet, ["prep", "--raw", probe, "--format", "rgb", "--size", "33x17", "--isa", isa,
                          "--out", probe + ".npy"])
    return not (r.rc and "not available" in r.err)


def prep_cases(s, bad, valid, x):
    """effnet prep (and run) with a bad picture, frame description or frame-path option."""
    P = lambda name: os.path.join(bad, name)  # noqa: E731
    rng = np.random.default_rng(11)
    rgb = rng.integers(0, 256, (17, 33, 3), dtype=np.uint8)
    ok_raw = write(P("ok.rgb"), rgb.tobytes())          # 33x17 rgb: 1683 bytes
    out = P("prep-out.npy")
    png = write(P("pic.png"), png_bytes(rgb))
    raw = ["--raw", ok_raw, "--format", "rgb", "--size", "33x17"]

    def prep(name, args, phrases, want_rc=None):
        s.expect_error("prep: " + name, ["prep"] + args + ["--out", out], phrases, want_rc)

    r = run_tool(s.effnet, ["prep"] + raw + ["--out", out])
    s.report("valid: prep --raw 33x17 rgb", r.rc == 0 and not crash_text(r.err) and os.path.exists(out),
             "(rc %s)" % r.rc, "exit %s, stderr %r" % (r.rc, r.err[:500]))

    # raw frames
    short = write(P("short.rgb"), rgb.tobytes()[:-1])
    prep("--raw one byte short", ["--raw", short, "--format", "rgb", "--size", "33x17"],
         [short, "1682 bytes", "1683"], want_rc=1)
    long_ = write(P("long.rgb"), rgb.tobytes() + b"\0")
    prep("--raw one byte too long", ["--raw", long_, "--format", "rgb", "--size", "33x17"],
         [long_, "more than 1683 bytes"], want_rc=1)
    prep("--raw yuy2 of the wrong size", ["--raw", ok_raw, "--format", "yuy2", "--size", "33x17"],
         [ok_raw, "yuy2", "1156"], want_rc=1)
    prep("--raw missing file", ["--raw", P("nope.rgb"), "--format", "rgb", "--size", "33x17"],
         [P("nope.rgb"), "No such file"], want_rc=1)
    prep("--raw is a folder", ["--raw", bad, "--format", "rgb", "--size", "33x17"], [bad, "folder"], want_rc=1)
    prep("unknown --format", ["--raw", ok_raw, "--format", "rgb48", "--size", "33x17"],
         ["--format", "'rgb48'"], want_rc=2)
    prep("--size 0x5", ["--raw", ok_raw, "--format", "rgb", "--size", "0x5"], ["--size", "'0x5'"], want_rc=2)
    prep("--size 33", ["--raw", ok_raw, "--format", "rgb", "--size", "33"], ["--size", "'33'"], want_rc=2)
    prep("--size 17000x1 (over 16384)", ["--raw", ok_raw, "--format", "rgb", "--size", "17000x1"],
         ["17000x1", "out of range"], want_rc=1)
    prep("--raw without --size", ["--raw", ok_raw, "--format", "rgb"], ["--raw", "--size"], want_rc=2)
    prep("--raw without --format", ["--raw", ok_raw, "--size", "33x17"], ["--raw", "--format"], want_rc=2)
    prep("--format without --raw", ["--image", png, "--format", "rgb"], ["--format", "--raw"],
         want_rc=2)
    prep("--image and --raw together", ["--image", ok_raw] + raw, ["--image", "--raw", "not both"], want_rc=2)
    prep("no picture", [], ["--image", "--raw"], want_rc=2)
    s.expect_error("prep: no --out", ["prep"] + raw, ["--out"], want_rc=2)
    s.expect_error("prep: --out in a missing folder", ["prep"] + raw + ["--out", "/nonexistent/x.npy"],
                   ["/nonexistent/x.npy", "cannot create"], want_rc=1)
    prep("unknown --matrix", raw + ["--matrix", "bt2021"], ["--matrix", "'bt2021'"], want_rc=2)
    prep("unknown --range", raw + ["--range", "half"], ["--range", "'half'"], want_rc=2)
    prep("unknown --chroma-site", raw + ["--chroma-site", "left"], ["--chroma-site", "'left'"], want_rc=2)

    # regions and frame-path options
    prep("--roi outside the picture", raw + ["--roi", "30,0,5,5"],
         [ok_raw, "region 0", "30,0 5x5", "not inside the 33x17 frame"], want_rc=1)
    prep("second --roi outside the picture", raw + ["--roi", "0,0,5,5", "--roi", "1,10,8,8"],
         ["region 1", "1,10 8x8", "33x17"], want_rc=1)
    prep("--roi of width 0", raw + ["--roi", "0,0,0,5"], ["region 0", "empty"], want_rc=1)
    prep("--roi 1,2,3 (malformed)", raw + ["--roi", "1,2,3"], ["--roi", "'1,2,3'"], want_rc=2)
    prep("--roi -1,0,5,5", raw + ["--roi", "-1,0,5,5"], ["--roi", "'-1,0,5,5'"], want_rc=2)
    prep("--crop-pct 2", raw + ["--crop-pct", "2"], ["--crop-pct", "'2'"], want_rc=2)
    prep("--crop-pct 0", raw + ["--crop-pct", "0"], ["--crop-pct", "'0'"], want_rc=2)
    prep("--std 0,1,1", raw + ["--std", "0,1,1"], ["--std", "'0,1,1'"], want_rc=2)
    prep("--mean 1,2", raw + ["--mean", "1,2"], ["--mean", "'1,2'"], want_rc=2)
    prep("--mean nan,0,0", raw + ["--mean", "nan,0,0"], ["--mean", "'nan,0,0'"], want_rc=2)
    prep("--input-size 0", raw + ["--input-size", "0"], ["--input-size", "'0'"], want_rc=2)
    prep("--fit squash", raw + ["--fit", "squash"], ["--fit", "'squash'"], want_rc=2)
    prep("--filter lanczos", raw + ["--filter", "lanczos"], ["--filter", "'lanczos'"], want_rc=2)
    wide = write(P("wide.gray8"), bytes(4000))
    prep("4000 pixels shrunk to 4 (too many taps)",
         ["--raw", wide, "--format", "gray8", "--size", "4000x1", "--input-size", "4", "--fit", "stretch"],
         [wide, "filter taps", "at most 320"], want_rc=1)

    # image files
    trunc_png = write(P("trunc.png"), png_bytes(rgb)[:60])
    prep("truncated PNG", ["--image", trunc_png], [trunc_png, "PNG"], want_rc=1)
    try:
        from PIL import Image
        import io
        b = io.BytesIO()
        Image.fromarray(np.tile(rgb, (4, 4, 1))).save(b, "JPEG", quality=90)
        jpg = b.getvalue()
        trunc_jpg = write(P("trunc.jpg"), jpg[:len(jpg) // 2])
        prep("truncated JPEG", ["--image", trunc_jpg], [trunc_jpg, "JPEG"], want_rc=1)
        junk_jpg = write(P("junk.jpg"), jpg[:2] + os.urandom(600))
        prep("JPEG header then junk", ["--image", junk_jpg], [junk_jpg, "JPEG"], want_rc=1)
    except ImportError:
        print("SKIP  prep: truncated JPEG (no PIL to write one)", flush=True)
    p16 = write(P("p16.ppm"), b"P6\n33 17\n65535\n" + bytes(33 * 17 * 6))
    prep("PPM with maxval 65535", ["--image", p16], [p16, "maxval 65535"], want_rc=1)
    nopix = write(P("nopix.ppm"), b"P6\n33 17\n255\n" + bytes(100))
    prep("PPM shorter than its pixels", ["--image", nopix], [nopix, "ends before"], want_rc=1)
    badhdr = write(P("badhdr.ppm"), b"P6\n33 x7\n255\n" + bytes(33 * 17 * 3))
    prep("PPM with a broken header", ["--image", badhdr], [badhdr, "header"], want_rc=1)
    huge = write(P("huge.ppm"), b"P6\n100000 100000\n255\n")
    prep("PPM of 100000x100000", ["--image", huge], [huge, "out of range"], want_rc=1)
    empty = write(P("empty.png"), b"")
    prep("empty file as --image", ["--image", empty], [empty, "empty"], want_rc=1)
    junk = write(P("junk.bin"), bytes(range(256)) * 4)
    prep("--image of unknown type", ["--image", junk], [junk, "not a PNG, JPEG or binary PPM/PGM"], want_rc=1)
    prep("--image missing file", ["--image", P("nope.png")], [P("nope.png"), "No such file"], want_rc=1)
    prep("--image is a folder", ["--image", bad], [bad, "folder"], want_rc=1)

    # --isa the CPU (or the build) lacks
    for isa in ("avx2", "avx512", "neon"):
        if isa_supported(s.effnet, isa, ok_raw):
            print("SKIP  prep: --isa %s (this CPU and build have it)" % isa, flush=True)
        else:
            prep("--isa %s without it" % isa, raw + ["--isa", isa], [isa, "not available"], want_rc=1)

    # effnet run with a picture
    s.expect_error("run: truncated PNG", ["run", "--weights", valid, "--image", trunc_png], [trunc_png, "PNG"])
    s.expect_error("run: --roi outside the picture",
                   ["run", "--weights", valid, "--image", png, "--roi", "30,0,5,5"],
                   [png, "region 0", "not inside"], want_rc=1)
    s.expect_error("run: --input and --image together", ["run", "--weights", valid, "--input", x, "--image", png],
                   ["--input", "not both"], want_rc=2)
    s.expect_error("run: --input-size 300 for a 224 model",
                   ["run", "--weights", valid, "--image", png, "--input-size", "300"], ["300", "224"], want_rc=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--effnet", required=True, help="path to the effnet binary")
    ap.add_argument("--out", required=True, help="scratch folder for the generated files")
    a = ap.parse_args()
    effnet = os.path.abspath(a.effnet)
    out = os.path.abspath(a.out)
    bad = os.path.join(out, "bad")
    if os.path.isdir(bad):
        shutil.rmtree(bad)
    os.makedirs(bad)
    t_start = time.time()

    sd, header, data, valid = make_valid(out)
    rng = np.random.default_rng(7)
    x = os.path.join(out, "x.npy")
    np.save(x, rng.standard_normal((1, 3, 224, 224)).astype(np.float32))

    s = Suite(effnet)
    ok_info = s.expect_ok("valid: info", ["info", valid])
    ok_run = s.expect_ok("valid: run", ["run", "--weights", valid, "--input", x])
    if not (ok_info and ok_run):
        print("the valid checkpoint is refused; the damage cases would prove nothing", flush=True)
        return 1

    P = lambda name: os.path.join(bad, name)
    full = st_bytes(header, data)
    hlen = struct.unpack("<Q", full[:8])[0]

    def both(name, path, phrases):
        s.expect_error(name + ": info", ["info", path], phrases)
        s.expect_error(name + ": run", ["run", "--weights", path, "--input", x], phrases)

    def run_only(name, path, phrases, extra=(), want_rc=None):
        s.expect_error(name, ["run", "--weights", path, "--input", x] + list(extra), phrases, want_rc)

    # --- file-level damage ------------------------------------------------
    missing = P("does_not_exist.safetensors")
    both("missing file", missing, [missing, "cannot open", "No such file"])
    both("empty file", write(P("empty.safetensors"), b""), ["too short", "0 bytes"])
    both("5-byte file", write(P("five.safetensors"), full[:5]), ["too short", "5 bytes"])

    trunc_data = write(P("trunc_data.safetensors"), full[:8 + hlen + len(data) // 2])
    both("truncated in the data", trunc_data, ["beyond the data buffer"])

    trunc_head = write(P("trunc_header.safetensors"), full[:8 + hlen // 2])
    both("truncated in the header", trunc_head, ["header length %d" % hlen, "beyond the end of the file"])

    small = st_bytes({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0\0\0\0")
    beyond = write(P("hlen_beyond.safetensors"), struct.pack("<Q", 4096) + small[8:])
    both("header length beyond the file", beyond, ["header length 4096", "beyond the end of the file"])

    huge = write(P("hlen_huge.safetensors"), struct.pack("<Q", 200 * 1000 * 1000) + small[8:])
    both("header length over 16 MiB", huge, ["header length 200000000", "16 MiB"])

    raw = json.dumps({"__metadata__": {"format": "pt"}, **header}).encode()
    broken = raw[:len(raw) // 3] + b"}"  # cut inside the object: not valid JSON
    both("malformed JSON header", write(P("bad_json.safetensors"), st_bytes(None, data, raw_header=broken)),
         ["header: invalid JSON at byte"])

    both("header JSON not an object",
         write(P("json_array.safetensors"), st_bytes(None, data, raw_header=b"[1, 2, 3]")),
         ["header is not a JSON object"])

    def damaged(name, mutate, with_data=None):
        h = json.loads(json.dumps(header))
        mutate(h)
        return write(P(name), st_bytes(h, data if with_data is None else with_data))

    victim = "features.3.1.block.1.0.weight"  # depthwise 5x5 of stage 3, block 1: [240,1,5,5]

    def offsets_out(h):
        h[victim]["data_offsets"] = [len(data) - 8, len(data) + 4 * 240 * 25 - 8]
    both("data_offsets out of range", damaged("offsets_out.safetensors", offsets_out),
         [victim, "beyond the data buffer"])

    other = "features.3.1.block.1.1.weight"

    def overlap(h):
        b = h[victim]["data_offsets"][0]  # move `other` to start 8 floats into `victim`
        ob, oe = h[other]["data_offsets"]
        h[other]["data_offsets"] = [b + 32, b + 32 + (oe - ob)]
    both("overlapping offsets", damaged("overlap.safetensors", overlap), ["overlapping", victim, other])

    def size_mismatch(h):
        h[victim]["shape"] = [240, 1, 5, 4]
    both("shape/size mismatch", damaged("size_mismatch.safetensors", size_mismatch),
         [victim, "[240, 1, 5, 4]", "does not match"])

    def f33(h):
        h[victim]["dtype"] = "F33"
    both("unknown dtype F33", damaged("f33.safetensors", f33), [victim, 'unknown dtype "F33"'])

    # a few more header defects the reference lists as must-reject
    dup = b'{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' \
          b'"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'
    both("duplicate tensor name", write(P("dup.safetensors"), st_bytes(None, b"\0" * 8, raw_header=dup)),
         ["duplicate tensor name 'a'"])

    def unaligned(h):
        b, e = h[victim]["data_offsets"]
        h[victim]["data_offsets"] = [b + 2, e + 2]
    both("unaligned data_offsets", damaged("unaligned.safetensors", unaligned),
         [victim, "not a multiple", "element size"])

    def neg_dim(h):
        h[victim]["shape"] = [-240, 1, 5, 5]
    both("negative dimension", damaged("neg_dim.safetensors", neg_dim), [victim, "negative dimension"])

    def no_offsets(h):
        del h[victim]["data_offsets"]
    both("entry without data_offsets", damaged("no_offsets.safetensors", no_offsets),
         [victim, "data_offsets"])

    both("header length 0", write(P("hlen_zero.safetensors"), struct.pack("<Q", 0) + b"\0" * 64),
         ["header"])

    # --- valid safetensors, wrong as EfficientNet weights -----------------
    def i32(h):
        h[victim]["dtype"] = "I32"  # same byte length, valid file
    both("needed tensor is I32", damaged("i32.safetensors", i32), [victim, "I32"])

    sd_missing = {k: v for k, v in sd.items() if k != victim}
    h2, d2 = st_pieces(sd_missing)
    both("missing tensor", write(P("missing_tensor.safetensors"), st_bytes(h2, d2)), [victim, "missing"])

    conv = "features.2.0.block.0.0.weight"  # expand 1x1 of stage 2: [96,16,1,1]
    sd_t = dict(sd)
    sd_t[conv] = sd[conv].transpose(0, 1).contiguous()  # [16,96,1,1]
    h3, d3 = st_pieces(sd_t)
    both("misshapen tensor", write(P("misshapen.safetensors"), st_bytes(h3, d3)),
         [conv, "[16, 96, 1, 1]", "[96, 16, 1, 1]"])

    nan_name = "features.5.0.block.3.0.weight"
    sd_n = dict(sd)
    t = sd[nan_name].clone()
    t.view(-1)[17] = float("nan")
    sd_n[nan_name] = t
    h4, d4 = st_pieces(sd_n)
    both("NaN in a tensor", write(P("nan.safetensors"), st_bytes(h4, d4)), [nan_name, "NaN"])

    foo = write(P("foo.safetensors"), st_bytes({"foo": {"dtype": "F32", "shape": [2, 2],
                                                         "data_offsets": [0, 16]}}, b"\0" * 16))
    both("not EfficientNet at all", foo, ["EfficientNet"])

    run_only("--variant b3 on B0 weights", valid, ["b3", "b0"], ["--variant", "b3"])
    run_only("--variant b9", valid, ["b9"], ["--variant", "b9"], want_rc=2)

    # --- folders ------------------------------------------------------------
    fold = P("folder_bad_config")
    os.makedirs(fold)
    shutil.copyfile(valid, os.path.join(fold, "model.safetensors"))
    cfg = os.path.join(fold, "config.json")
    with open(cfg, "w") as f:
        f.write('{"architecture": "efficientnet_b0", "num_classes": 1000,')
    both("folder with malformed config.json", fold, [cfg, "invalid JSON"])

    fold2 = P("folder_resnet")
    os.makedirs(fold2)
    shutil.copyfile(valid, os.path.join(fold2, "model.safetensors"))
    with open(os.path.join(fold2, "config.json"), "w") as f:
        json.dump({"architecture": "resnet50", "num_classes": 1000,
                   "pretrained_cfg": {"input_size": [3, 224, 224]}}, f)
    both("config.json architecture resnet50", fold2, ["resnet50"])

    fold3 = P("folder_empty")
    os.makedirs(fold3)
    both("folder without model.safetensors", fold3, ["model.safetensors"])

    # --- config.json values (issue 9, defect 6): checked at load, one sentence each
    def with_config(name, text):
        fold = P(name)
        os.makedirs(fold)
        os.symlink(valid, os.path.join(fold, "model.safetensors"))
        if text is not None:
            with open(os.path.join(fold, "config.json"), "w") as f:
                f.write(text if isinstance(text, str) else json.dumps(text))
        return fold

    def pcfg(**kw):
        return {"architecture": "efficientnet_b0", "num_classes": 1000, "pretrained_cfg": kw}

    both("config num_classes 1e20", with_config("cfg_classes", '{"num_classes": 1e20}'),
         ["'num_classes' must be a whole number from 1 to 1000000"])
    both("config num_classes 2.5", with_config("cfg_classes_frac", '{"num_classes": 2.5}'),
         ["'num_classes' must be a whole number"])
    both("config crop_pct 1e39", with_config("cfg_crop", pcfg(crop_pct=1e39)),
         ["'crop_pct' must be a number from 0.1 to 1"])
    both("config crop_pct 0", with_config("cfg_crop0", pcfg(crop_pct=0)), ["'crop_pct'"])
    # found by fuzz_config: 1e-30 was in (0, 1] but made the resize side infinite
    both("config crop_pct 1e-30", with_config("cfg_crop_tiny", pcfg(crop_pct=1e-30)), ["'crop_pct'"])
    both("config std zeros", with_config("cfg_std0", pcfg(std=[0, 0, 0])), ["'std'[0] is 0"])
    both("config std 0 as float", with_config("cfg_std_tiny", '{"pretrained_cfg": {"std": [1e-50, 0.2, 0.2]}}'),
         ["'std'[0] is 1e-50"])
    both("config mean 1e300", with_config("cfg_mean", pcfg(mean=[1e300, 0, 0])), ["'mean'[0] is 1e+300"])
    both("config mean of strings", with_config("cfg_mean_str", pcfg(mean=["a", "b", "c"])),
         ["'mean' must be an array of 3 numbers"])
    both("config input_size fractional", with_config("cfg_in_frac", pcfg(input_size=[3, 2.5, 2.5])),
         ["input_size [3, 2.5, 2.5] is not [3, S, S]"])
    both("config input_size 1e9", with_config("cfg_in_huge", pcfg(input_size=[3, 1e9, 1e9])),
         ["'input_size'[1] is 1e+09"])
    both("config input_size 4 channels", with_config("cfg_in_ch", pcfg(input_size=[4, 224, 224])),
         ["input_size [4, 224, 224]"])
    both("config untrained 'yes'", with_config("cfg_untrained", '{"untrained": "yes"}'),
         ["'untrained' must be true or false"])
    both("config pretrained_cfg a list", with_config("cfg_pc", '{"pretrained_cfg": []}'),
         ["'pretrained_cfg' must be an object"])
    both("config 2 MB", with_config("cfg_big", '{"a": "' + "x" * (2 << 20) + '"}'),
         ["config.json", "more than the 1048576"])
    fold_dir = with_config("cfg_dir", None)
    os.makedirs(os.path.join(fold_dir, "config.json"))
    both("config.json a folder", fold_dir, ["config.json", "is not a regular file"])
    fold_fifo = with_config("cfg_fifo", None)
    os.mkfifo(os.path.join(fold_fifo, "config.json"))  # opening it for reading blocked the load forever
    both("config.json a FIFO", fold_fifo, ["config.json", "is not a regular file"])

    # --- BatchNorm folding (issue 9, defect 7) ------------------------------
    def bn_damaged(name, channel_values, conv_weight=None):
        sd2 = {k: v.clone() for k, v in sd.items()}
        for key, val in channel_values.items():
            sd2["features.1.0.block.0.1." + key][0] = val
        if conv_weight is not None:  # the depthwise 3x3 before that BatchNorm, channel 0
            sd2["features.1.0.block.0.0.weight"][0] = conv_weight
        h2, d2 = st_pieces(sd2)
        return write(P(name), st_bytes(h2, d2))
    both("BatchNorm folds to infinity", bn_damaged("bn_inf.safetensors", {"weight": 3e38, "running_var": 0.0}),
         ["features.1.0.block.0.1", "too large for float32 at channel 0"])
    both("BatchNorm running_var -1e-6 (above -eps)", bn_damaged("bn_neg.safetensors", {"running_var": -1e-6}),
         ["features.1.0.block.0.1.running_var' is negative at channel 0"])
    both("BatchNorm scale times weight overflows", bn_damaged("bn_prod.safetensors", {"weight": 3e36, "running_var": 1e-4},
                                                                  conv_weight=10.0),
         ["overflows float32 at output channel 0"])

    # --- weights rewritten while they load (issue 9, defect 12) --------------
    # A mapped file that shrinks under the reader raises SIGBUS in the host process; the engine
    # reads the file instead, so every run either loads or says what went wrong.
    moving = P("moving.safetensors")
    write(moving, full)
    stop = threading.Event()

    def churn():
        while not stop.is_set():
            with open(moving, "r+b") as f:
                f.truncate(len(full) // 3)
            time.sleep(0.002)
            with open(moving, "r+b") as f:
                f.seek(0)
                f.write(full)
            time.sleep(0.002)
    t = threading.Thread(target=churn)
    t.start()
    outcomes = {"loaded": 0, "refused": 0}
    problems = []
    try:
        for _ in range(40):
            r = run_tool(effnet, ["info", moving])
            lines = r.err.strip().split("\n")
            if r.timed_out or r.rc is None or r.rc < 0 or crash_text(r.err):
                problems.append("rc %s: %s" % (r.rc, r.err.strip()[:300]))
            elif r.rc == 0:
                outcomes["loaded"] += 1
            elif len(lines) == 1 and lines[0].startswith("effnet: "):
                outcomes["refused"] += 1
            else:
                problems.append("rc %s without one sentence: %r" % (r.rc, r.err[:300]))
    finally:
        stop.set()
        t.join()
    s.report("weights truncated and restored during 40 loads", not problems,
             "%(loaded)d loaded, %(refused)d refused with a sentence" % outcomes, "; ".join(problems[:3]))

    # --- input .npy ---------------------------------------------------------
    x_shape = os.path.join(bad, "x_100.npy")
    np.save(x_shape, rng.standard_normal((1, 3, 100, 100)).astype(np.float32))
    s.expect_error("input of shape [1,3,100,100]", ["run", "--weights", valid, "--input", x_shape],
                   ["224"])
    x_f64 = os.path.join(bad, "x_f64.npy")
    np.save(x_f64, rng.standard_normal((1, 3, 224, 224)))
    s.expect_error("input of dtype float64", ["run", "--weights", valid, "--input", x_f64],
                   ["'<f8'", "float32"])
    x_tr = os.path.join(bad, "x_trunc.npy")
    with open(x, "rb") as f:
        xb = f.read()
    write(x_tr, xb[:len(xb) // 2])
    s.expect_error("input .npy truncated", ["run", "--weights", valid, "--input", x_tr], [x_tr])
    x_no = os.path.join(bad, "no_such_input.npy")
    s.expect_error("input path missing", ["run", "--weights", valid, "--input", x_no],
                   [x_no, "No such file"])

    x_junk = write(os.path.join(bad, "x_junk.npy"), os.urandom(4096))
    s.expect_error("input is not .npy", ["run", "--weights", valid, "--input", x_junk], [x_junk])
    x_3d = os.path.join(bad, "x_3d.npy")
    np.save(x_3d, rng.standard_normal((3, 224, 224)).astype(np.float32))
    s.expect_error("input .npy 3-D", ["run", "--weights", valid, "--input", x_3d], [x_3d, "(N, 3, 224, 224)"])
    x_1c = os.path.join(bad, "x_1ch.npy")
    np.save(x_1c, rng.standard_normal((1, 1, 224, 224)).astype(np.float32))
    s.expect_error("input .npy 1 channel", ["run", "--weights", valid, "--input", x_1c], [x_1c, "(N, 3, 224, 224)"])
    s.expect_error("input path is a folder", ["run", "--weights", valid, "--input", bad], [bad])

    # --- command line -------------------------------------------------------
    s.expect_error("unknown option (with a value)",
                   ["run", "--weights", valid, "--frobnicate", "3", "--input", x],
                   ["unknown option", "--frobnicate"], want_rc=2)
    s.expect_error("unknown option (last argument)",
                   ["run", "--weights", valid, "--input", x, "--frobnicate"],
                   ["unknown option", "--frobnicate"], want_rc=2)
    s.expect_error("unknown command", ["frobnicate", valid], ["unknown command", "frobnicate"], want_rc=2)
    s.expect_error("--top-k 0", ["run", "--weights", valid, "--input", x, "--top-k", "0"],
                   ["--top-k", "'0'"], want_rc=2)
    s.expect_error("run without --input", ["run", "--weights", valid], ["--input"], want_rc=2)
    s.expect_error("--threads -1", ["run", "--weights", valid, "--input", x, "--threads", "-1"],
                   ["--threads", "-1"], want_rc=2)

    # --- pictures and the frame path (effnet prep / run PICTURE) ------------
    prep_cases(s, bad, valid, x)

    took = time.time() - t_start
    print("%d cases, %d failed, %.1f s" % (s.count, len(s.failures), took))
    if s.failures:
        print("FAILED: " + "; ".join(s.failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
