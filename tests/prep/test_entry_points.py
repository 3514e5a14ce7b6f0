#!/usr/bin/python3
"""Every entry point classifies a picture identically.

    /usr/bin/python3 tests/prep/test_entry_points.py --effnet EFFNET --out DIR
        [--classify EFFNET_CLASSIFY] [--plugin-dir BUILD/gst-plugin] [--gst-plugins SYSTEM_DIR]
        [--make-weights scripts/make_untrained_weights.py] [--no-gst]

With untrained B0 weights (scripts/make_untrained_weights.py: 224, bicubic, crop 0.875,
ImageNet mean/std) and two pictures, a 333x251 PNG and a 333x251 NV12 frame (BT.601
limited, MPEG-2 siting; odd width: its chroma rows are 167 samples):

  1. effnet run --image/--raw PICTURE --logits-out a.npy
  2. effnet prep PICTURE --out x.npy, then effnet run --input x.npy --logits-out b.npy
     (the same with two regions of interest: two images)
  3. the efficientnet element in-process (appsrc ! efficientnet attach-logits=true !
     appsink: the PNG's RGB pixels, and the NV12 frame with the same caps colorimetry)
  4. effnet-classify --weights W --top-k 5 pic.png (uridecodebin ! videoconvert !
     efficientnet; JSON lines: it reports top-5 class ids and scores, not logits)

Logits must agree within 1e-4 relative (||x - a|| / ||a||); effnet-classify's top-5 ids
must be softmax(a)'s (a swap allowed only where the two probabilities are within 1e-6)
and its scores within 1e-4. Steps 3 and 4 are SKIPped without gi/GStreamer, without the
plugin, or with --no-gst (sanitizer builds: python3 cannot load an instrumented plugin).
Exit 0 on success, 1 on a failure, 77 when numpy is missing.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from gstenv import load_gst  # this folder: the registry and elements GStreamer needs here

try:
    import numpy as np
except ImportError as e:
    print("SKIP: %s (run with /usr/bin/python3)" % e)
    sys.exit(77)

REL_TOL = 1e-4
SCORE_TOL = 1e-4
W, H = 333, 251
ROIS = [(1, 3, 201, 149), (120, 40, 213, 211)]


def picture(rng):
    """Smooth content with detail and noise (an untrained network still sees it)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    a = np.stack([128 + 90 * np.sin(x / 13.0 + y / 31.0), 128 + 80 * np.cos(x / 29.0 - y / 11.0),
                  (x * 3 + y * 5) % 256], -1)
    return np.clip(a + rng.normal(0, 12, a.shape), 0, 255).round().astype(np.uint8)


def write_png(path, rgb):
    """PNG without PIL: zlib + struct (8-bit RGB, filter 0)."""
    import struct
    import zlib

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xffffffff)
    h, w = rgb.shape[:2]
    raw = b"".join(b"\0" + rgb[r].tobytes() for r in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def nv12_of(rgb):
    """BT.601 limited NV12, chroma averaged over 2x2 (odd sizes: the last column/row repeated)."""
    f = rgb.astype(np.float64) / 255
    y = 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]
    u = (f[..., 2] - y) / 1.772
    v = (f[..., 0] - y) / 1.402
    Y = np.clip(np.round(16 + 219 * y), 0, 255).astype(np.uint8)

    def sub(c):
        c = np.concatenate([c, c[:, -1:]], 1) if c.shape[1] % 2 else c
        c = np.concatenate([c, c[-1:]], 0) if c.shape[0] % 2 else c
        return (c[0::2, 0::2] + c[1::2, 0::2] + c[0::2, 1::2] + c[1::2, 1::2]) / 4
    U = np.clip(np.round(128 + 224 * sub(u)), 0, 255).astype(np.uint8)
    V = np.clip(np.round(128 + 224 * sub(v)), 0, 255).astype(np.uint8)
    UV = np.stack([U, V], -1).reshape(U.shape[0], -1)   # rows of U V pairs: 2*ceil(w/2) bytes
    return Y, UV


class Suite:
    def __init__(self):
        self.fails, self.count, self.skips = [], 0, 0

    def check(self, name, ok, line):
        self.count += 1
        print("%s  %-58s %s" % ("PASS" if ok else "FAIL", name, line), flush=True)
        if not ok:
            self.fails.append(name)

    def skip(self, name, why):
        self.skips += 1
        print("SKIP  %-58s %s" % (name, why), flush=True)


def run(cmd, env=None, timeout=600):
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), time.time() - t0


def rel(x, ref):
    x, ref = np.asarray(x, np.float64), np.asarray(ref, np.float64)
    if x.shape != ref.shape:
        return float("inf")
    return float(np.linalg.norm(x - ref) / max(np.linalg.norm(ref), 1e-30))


def softmax(z):
    z = np.asarray(z, np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


# ---------------------------------------------------------------------------
# GStreamer, in-process

class Element:
    def __init__(self, plugin_dir, system_dir, out):
        self.ok, self.why = False, ""
        env = os.environ
        if plugin_dir:
            env["GST_PLUGIN_PATH_1_0"] = env["GST_PLUGIN_PATH"] = plugin_dir
        if system_dir:
            env["GST_PLUGIN_SYSTEM_PATH_1_0"] = env["GST_PLUGIN_SYSTEM_PATH"] = system_dir
        try:
            Gst, GstVideo = load_gst(out, ("appsrc", "appsink", "efficientnet"))
        except Exception as e:  # noqa: BLE001 (no gi, no typelib, no plugin)
            self.why = str(e)
            return
        self.Gst, self.GstVideo = Gst, GstVideo
        self.ok = True

    def logits(self, weights, caps_str, planes, extra=""):
        """planes: list of (rows [h, bytes]) in plane order, copied into GStreamer's layout."""
        Gst, GstVideo = self.Gst, self.GstVideo
        caps = Gst.Caps.from_string(caps_str)
        info = GstVideo.VideoInfo.new_from_caps(caps)
        buf = bytearray(info.size)
        for p, rows in enumerate(planes):
            off, st = info.offset[p], info.stride[p]
            for r in range(rows.shape[0]):
                buf[off + r * st:off + r * st + rows.shape[1]] = rows[r].tobytes()
        pipe = Gst.parse_launch("appsrc name=src format=time ! efficientnet weights=\"%s\" attach-logits=true "
                                "mode=sync qos=false %s ! appsink name=sink sync=false" % (weights, extra))
        src, sink = pipe.get_by_name("src"), pipe.get_by_name("sink")
        src.set_property("caps", caps)
        try:
            pipe.set_state(Gst.State.PLAYING)
            b = Gst.Buffer.new_wrapped(bytes(buf))
            b.pts = 0
            src.emit("push-buffer", b)
            src.emit("end-of-stream")
            sample = sink.emit("try-pull-sample", 120 * Gst.SECOND)
            if sample is None:
                msg = pipe.get_bus().pop_filtered(Gst.MessageType.ERROR)
                raise RuntimeError("no frame came out%s" % (": " + msg.parse_error()[0].message if msg else ""))
            meta = sample.get_buffer().get_custom_meta("EfficientNetClassification")
            if meta is None:
                raise RuntimeError("the frame carries no EfficientNetClassification meta")
            s = meta.get_structure()
            v = s.get_value("logits")
            if v is None:
                raise RuntimeError("the meta has no logits (attach-logits=true)")
            return np.array(list(v), np.float64)
        finally:
            pipe.set_state(Gst.State.NULL)


def link_system_plugins(src_dir, out):
    """A folder of links to the system plugins this test needs (None when src_dir is None)."""
    if not src_dir:
        return None
    d = os.path.join(out, "system-plugins")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for p in ("coreelements", "app", "typefindfunctions", "playback", "png", "pbtypes", "videoconvertscale",
              "videoconvert"):
        f = os.path.join(src_dir, "libgst%s.so" % p)
        if os.path.exists(f):
            os.symlink(f, os.path.join(d, os.path.basename(f)))
    return d


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--effnet", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--classify", default=None, help="effnet-classify (optional)")
    ap.add_argument("--plugin-dir", default=None, help="folder holding libgstefficientnet.so")
    ap.add_argument("--gst-plugins", default=None, help="GStreamer's system plugin folder (links to the few used)")
    ap.add_argument("--make-weights", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                           "scripts", "make_untrained_weights.py"))
    ap.add_argument("--no-gst", action="store_true", help="skip the element and effnet-classify")
    a = ap.parse_args()
    t_start = time.time()
    out = os.path.abspath(a.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    effnet = os.path.abspath(a.effnet)
    P = lambda n: os.path.join(out, n)  # noqa: E731
    s = Suite()

    weights = P("weights-b0")
    rc, o, e, _ = run([sys.executable, a.make_weights, weights, "--variant", "b0", "--seed", "1"])
    if rc != 0:
        print("FAIL  cannot make the untrained weights: %s" % e.strip())
        return 1

    rng = np.random.default_rng(2024)
    rgb = picture(rng)
    png = P("pic.png")
    write_png(png, rgb)
    Y, UV = nv12_of(rgb)
    nv12 = P("pic.nv12")
    with open(nv12, "wb") as f:
        f.write(Y.tobytes() + UV.tobytes())
    nv12_args = ["--raw", nv12, "--format", "nv12", "--size", "%dx%d" % (W, H), "--matrix", "bt601",
                 "--range", "limited", "--chroma-site", "mpeg2"]
    pictures = {"png": ["--image", png], "nv12": nv12_args}
    roi_args = sum([["--roi", "%d,%d,%d,%d" % r] for r in ROIS], [])

    direct = {}
    for name, pic in pictures.items():
        for tag, extra, n in (("", [], 1), (" 2 ROIs", roi_args, 2)):
            a_npy, x_npy, b_npy = P("a-%s%d.npy" % (name, n)), P("x-%s%d.npy" % (name, n)), P("b-%s%d.npy" % (name, n))
            rc1, _, e1, t1 = run([effnet, "run", "--weights", weights] + pic + extra + ["--logits-out", a_npy])
            rc2, _, e2, t2 = run([effnet, "prep", "--weights", weights] + pic + extra + ["--out", x_npy])
            rc3, _, e3, t3 = (run([effnet, "run", "--weights", weights, "--input", x_npy, "--logits-out", b_npy])
                              if rc2 == 0 else (1, "", "", 0))
            label = "%s%s: run PICTURE == prep + run --input" % (name, tag)
            if rc1 or rc2 or rc3:
                s.check(label, False, "exit %d/%d/%d: %s" % (rc1, rc2, rc3,
                                                             (e1 if rc1 else e2 if rc2 else e3).strip()[-300:]))
                continue
            la, lb, x = np.load(a_npy), np.load(b_npy), np.load(x_npy)
            d = rel(lb, la)
            s.check(label, d <= REL_TOL and la.shape == (n, 1000) and x.shape == (n, 3, 224, 224),
                    "rel %.2e, logits %s, input %s (%.1f+%.1f+%.1f s)" % (d, la.shape, x.shape, t1, t2, t3))
            direct[name + tag] = la
    # the logits depend on the picture (not the same for any input)
    if "png" in direct and "nv12" in direct:
        d = rel(direct["png"], direct["png 2 ROIs"][:1])
        s.check("png: a region's logits differ from the whole picture's", d > 1e-3, "rel %.3f" % d)

    # ---- the element in-process, and effnet-classify ----
    if a.no_gst:
        s.skip("GStreamer element / effnet-classify", "--no-gst")
    else:
        sysdir = link_system_plugins(a.gst_plugins, out)
        el = Element(os.path.abspath(a.plugin_dir) if a.plugin_dir else None, sysdir, out)
        if not el.ok:
            s.skip("GStreamer element / effnet-classify", "not available: %s" % el.why)
        else:
            cases = [("png", "video/x-raw,format=RGB,width=%d,height=%d,framerate=0/1" % (W, H),
                      [rgb.reshape(H, W * 3)]),
                     ("nv12", "video/x-raw,format=NV12,width=%d,height=%d,framerate=0/1,colorimetry=bt601,"
                      "chroma-site=mpeg2" % (W, H), [Y, UV])]
            for name, caps, planes in cases:
                label = "%s: element (appsrc %s) logits == run" % (name, caps.split(",")[1].split("=")[1])
                if name not in direct:
                    s.skip(label, "no direct logits")
                    continue
                try:
                    t0 = time.time()
                    lg = el.logits(weights, caps, planes)
                    d = rel(lg[None, :], direct[name])
                    s.check(label, d <= REL_TOL, "rel %.2e (%.1f s)" % (d, time.time() - t0))
                except Exception as e:  # noqa: BLE001
                    s.check(label, False, str(e))
            if not a.classify:
                s.skip("effnet-classify", "not built")
            elif "png" in direct:
                rc, o, e, t = run([os.path.abspath(a.classify), "--weights", weights, "--top-k", "5", "--quiet",
                                   png], env=os.environ.copy())
                label = "png: effnet-classify top-5 == softmax(run)"
                lines = [ln for ln in o.splitlines() if ln.strip()]
                if rc != 0 or len(lines) != 1:
                    s.check(label, False, "exit %d, %d records: %s" % (rc, len(lines), e.strip()[-300:]))
                else:
                    rec = json.loads(lines[0])
                    p = softmax(direct["png"][0])
                    want = list(np.argsort(-p, kind="stable")[:5])
                    ids, scores = rec.get("class_ids", []), rec.get("scores", [])
                    same = len(ids) == 5 and all(
                        i == j or abs(p[i] - p[j]) <= 1e-6 for i, j in zip(ids, want))
                    ds = max((abs(sc - p[i]) for i, sc in zip(ids, scores)), default=float("inf"))
                    s.check(label, same and ds <= SCORE_TOL and len(scores) == 5,
                            "ids %s (run: %s), max |score - p| %.2e (%.1f s)" % (ids, want, ds, t))

    print("%d checks, %d failed, %d skipped, %.1f s" % (s.count, len(s.fails), s.skips, time.time() - t_start))
    if s.fails:
        print("FAILED: " + "; ".join(s.fails))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
