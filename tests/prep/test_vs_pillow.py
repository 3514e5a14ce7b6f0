#!/usr/bin/python3
"""The frame path (`effnet prep`) against Pillow's Image.resize.

    /usr/bin/python3 tests/prep/test_vs_pillow.py EFFNET OUT_DIR [--isa scalar,avx2,avx512]
                                                  [--gst-plugins DIR] [--quiet] [--no-gst]
                                                  [--only rgb,files,norm,yuv]

(/usr/bin/python3: it needs Debian's numpy and PIL; gi + GStreamer are optional.)

Everything is compared on the 0..255 scale (`--unnormalized`). Per ISA, the
normalized output (ImageNet and a given --mean/--std) must be (v/255 - mean)/std
of the unnormalized one (1e-5) over the picture, and the letterbox border must
be exactly 0 (the mean colour). Once: the --unnormalized letterbox border must
be that mean colour on the 0..255 scale (mean*255), so that normalizing the
--unnormalized output gives the normalized one there too. (In the comparisons
with Pillow the border is that mean colour, ImageNet's.)

RGB family (rgb bgr rgbx bgrx xrgb xbgr gray8, raw frames written here, plus
PPM/PGM/PNG/JPEG through --image): the reference is Pillow resizing the same
RGB (or 'L') picture with the same filter: PIL crop of the region, then
center-crop = torchvision's Resize(floor(S/crop_pct)) + CenterCrop(S) (checked
against torchvision itself when it is installed), letterbox = the region
resized to fit and centred on a border of the mean colour, stretch = the region to SxS.
The issue's tolerance is max |d| <= 1 and mean |d| <= 0.25 per channel (0..255
scale); the engine claims more — Pillow's own 8-bit values, bit for bit (it
redoes in double every sum that float leaves near a half) — so with the
antialiased filters any difference fails. Noise and
smooth pictures; 641x359, 1x1, 2x2, 33x17, portrait, 4096-wide rows; every
fit; ROIs at odd offsets; shrink factors 1, ~1.5, 2, 3.7, 8, ~20 and
enlargements; S = 224, 37, 255, 24, 205.

YUV (i420 yv12 nv12 nv21 yuy2 uyvy yvyu): a smooth RGB picture (gradients,
soft shapes, mild luma noise) is converted to the format by GStreamer's
videoconvert in-process (appsrc ! videoconvert ! appsink, explicit colorimetry
and chroma-site caps); without gi/Gst (or with --no-gst) by numpy (box
subsampling). The reference is that YUV frame converted back to RGB at full
resolution by numpy with the caps' matrix and range (chroma upsampled linearly
from its sited positions; a region is cut out of the YUV frame: its chroma is
the samples overlapping it), then Pillow as above, on float pictures (mode 'F':
the same filter tables, nothing rounded): max <= 2, mean <= 0.5. Each line also
shows, for information, the distance to Pillow on that RGB rounded to 8 bits
(its own rounding, amplified by bicubic overshoot, reaches 1.5 levels on a
23x enlargement). videoconvert is not the reference for the way back: its 8-bit
matrix path is off by up to ~3 levels and its 16-bit path by ~1.3 on average,
more than the tolerance (the test prints how far it is as INFO). The bytes
GStreamer wrote are what effnet reads (rows copied into effnet's tight layout),
and the component positions used to read them back are GStreamer's own
(GstVideoFormatInfo), so the byte orders of NV21, YV12, YVYU... are
GStreamer's, not this test's idea of them.

Fast filter (all formats): a numpy 2-tap bilinear reference (source coordinate
(x+0.5)*scale-0.5, clamped at the edges; no antialiasing), RGB family max <= 1
and mean <= 0.25, YUV as above.

Every format and geometry runs through every ISA given (default scalar, avx2,
avx512); an ISA the CPU or the build lacks (`effnet prep --isa X` answers that
the kernels are not available) is reported as SKIP.

Prints one line per case and a summary; exits 1 on any failure, 77 when numpy
or PIL is missing.
"""
import argparse
import math
import os
import shutil
import subprocess
import sys
import time

from gstenv import load_gst  # this folder: the registry and elements GStreamer needs here

try:
    import numpy as np
    from PIL import Image
except ImportError as e:
    print("SKIP: %s (run with /usr/bin/python3: python3-numpy, python3-pil)" % e)
    sys.exit(77)

TOL = {"rgb": (1.0, 0.25), "yuv": (2.0, 0.5),   # max, mean per channel, 0..255 scale
       "rgb-exact": (0.0, 0.0)}                  # Pillow's values (antialiased RGB)
MEAN255 = np.array([0.485, 0.456, 0.406]) * 255  # the letterbox border: ImageNet's mean colour
SLACK = 1e-3                                     # float noise of the engine's output
NORM_TOL = 1e-5
RGB_FORMATS = ["rgb", "bgr", "rgbx", "bgrx", "xrgb", "xbgr", "gray8"]
YUV_FORMATS = ["i420", "yv12", "nv12", "nv21", "yuy2", "uyvy", "yvyu"]
PIL_FILTER = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR}
# packed RGB: bytes per pixel and the byte offsets of R, G, B
RGB_LAYOUT = {"rgb": (3, (0, 1, 2)), "bgr": (3, (2, 1, 0)), "rgbx": (4, (0, 1, 2)),
              "bgrx": (4, (2, 1, 0)), "xrgb": (4, (1, 2, 3)), "xbgr": (4, (3, 2, 1))}
# YUV: (plane, byte offset, pixel stride) of Y, U, V, as GstVideoFormatInfo gives them
# (checked against GStreamer when it is there), and the chroma subsampling (x, y)
YUV_COMP = {"i420": [(0, 0, 1), (1, 0, 1), (2, 0, 1)], "yv12": [(0, 0, 1), (2, 0, 1), (1, 0, 1)],
            "nv12": [(0, 0, 1), (1, 0, 2), (1, 1, 2)], "nv21": [(0, 0, 1), (1, 1, 2), (1, 0, 2)],
            "yuy2": [(0, 0, 2), (0, 1, 4), (0, 3, 4)], "uyvy": [(0, 1, 2), (0, 0, 4), (0, 2, 4)],
            "yvyu": [(0, 0, 2), (0, 3, 4), (0, 1, 4)]}
YUV_SUB = {f: (1, 1) if f in ("i420", "yv12", "nv12", "nv21") else (1, 0) for f in YUV_FORMATS}
KRKB = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722), "bt2020": (0.2627, 0.0593)}
GST_MATRIX = {"bt601": 4, "bt709": 3, "bt2020": 6}
SITE_FLAGS = {"jpeg": (0, 0), "mpeg2": (1, 0), "cosited": (1, 1)}   # (h cosited, v cosited)


def ceil_half(n):
    return (n + 1) // 2


# ---------------------------------------------------------------------------
# pictures

def noise(w, h, seed):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def smooth(w, h, seed, amp=1.0, sigma=2.0, gray_noise=False, freq=1.0):
    """Gradients, soft blobs and mild noise, kept inside [20, 235]; the scale of the content is
    in pixels (not relative to the picture), so small pictures get gentle gradients. gray_noise:
    the same noise in R, G and B (luma noise; chroma stays smooth, for the YUV pictures)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    a = np.stack([128 + 60 * np.sin(freq * (x / 29.0 + y / 41.0)),
                  128 + 55 * np.cos(freq * (x / 23.0 - y / 17.0)),
                  128 + 60 * np.sin(freq * (x + 2 * y) / 53.0)], -1)
    for _ in range(4):  # soft shapes
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(20, 60) / freq
        g = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None]
        a += g * rng.uniform(-40, 40, 3)
    a = 128 + (a - 128) * amp + rng.normal(0, sigma, a.shape[:2] + ((1,) if gray_noise else (3,)))
    return np.clip(np.round(a), 20, 235).astype(np.uint8)


def gray_of(rgb):
    return np.asarray(Image.fromarray(rgb, "RGB").convert("L"))


# ---------------------------------------------------------------------------
# geometry and references

def crop_R(S, crop):
    return max(S, int(math.floor(S / crop)))


def fit_plan(w, h, S, fit, crop):
    """How a w x h region lands in S x S: (resized w, h), crop offset (left, top) of the S x S
    window in the resized picture (center-crop) and where the resized picture goes (dx, dy)."""
    if fit == "center-crop":
        R = crop_R(S, crop)
        short, long_ = min(w, h), max(w, h)
        rl = int(R * long_ / short)
        rw, rh = (R, rl) if w <= h else (rl, R)
        # torchvision's CenterCrop: int(round((size - S) / 2.0)), Python's half-to-even
        return dict(size=(rw, rh), crop=(int(round((rw - S) / 2.0)), int(round((rh - S) / 2.0))),
                    dst=(0, 0), out=(S, S))
    if fit == "letterbox":
        if w >= h:
            dw, dh = S, max(1, int(math.floor(h * S / w + 0.5)))
        else:
            dw, dh = max(1, int(math.floor(w * S / h + 0.5))), S
        return dict(size=(dw, dh), crop=(0, 0), dst=((S - dw) // 2, (S - dh) // 2), out=(dw, dh))
    return dict(size=(S, S), crop=(0, 0), dst=(0, 0), out=(S, S))


def place(S, plan, pic):
    """pic [oh, ow(, c)] on an S x S canvas of the mean colour (a grey picture in all three channels)."""
    if pic.ndim == 2:
        pic = np.repeat(pic[..., None], 3, -1)
    canvas = np.empty((S, S, 3), np.float64)
    canvas[:] = MEAN255
    dx, dy = plan["dst"]
    oh, ow = pic.shape[:2]
    canvas[dy:dy + oh, dx:dx + ow] = pic
    return canvas


def ref_pillow(img, roi, S, fit, crop, filt):
    """Pillow: crop of the region, then the fit. img: PIL image (RGB or L)."""
    x, y, w, h = roi
    region = img.crop((x, y, x + w, y + h)) if (x, y, w, h) != (0, 0) + img.size else img
    plan = fit_plan(w, h, S, fit, crop)
    r = region.resize(plan["size"], PIL_FILTER[filt])
    if fit == "center-crop":
        l, t = plan["crop"]
        r = r.crop((l, t, l + S, t + S))
    return place(S, plan, np.asarray(r, np.float64))


def fast_axis(a, axis, n_in, n_resized, n_out, off):
    """2-tap bilinear along axis: output i reads source (i + off + 0.5) * scale - 0.5, clamped."""
    scale = n_in / n_resized
    pos = (np.arange(n_out) + off + 0.5) * scale - 0.5
    pos = np.clip(pos, 0, n_in - 1)
    i0 = np.floor(pos).astype(np.int64)
    i1 = np.minimum(i0 + 1, n_in - 1)
    f = pos - i0
    shape = [1] * a.ndim
    shape[axis] = n_out
    f = f.reshape(shape)
    return np.take(a, i0, axis) * (1 - f) + np.take(a, i1, axis) * f


def ref_fast(arr, roi, S, fit, crop):
    """The numpy 2-tap reference on an array [H, W(, C)], float, no rounding."""
    x, y, w, h = roi
    region = arr[y:y + h, x:x + w].astype(np.float64)
    plan = fit_plan(w, h, S, fit, crop)
    (rw, rh), (l, t), (ow, oh) = plan["size"], plan["crop"], plan["out"]
    r = fast_axis(region, 1, w, rw, ow, l)
    r = fast_axis(r, 0, h, rh, oh, t)
    return place(S, plan, r)


def ref_pillow_float(rgbf, S, fit, crop, filt):
    """Pillow on a float picture [H, W, 3]: each channel as a mode 'F' image (Pillow's 32-bit
    float resampling: the same filter tables, in double, nothing rounded)."""
    h, w = rgbf.shape[:2]
    return np.stack([ref_pillow(Image.fromarray(np.ascontiguousarray(rgbf[..., c], np.float32), "F"),
                                (0, 0, w, h), S, fit, crop, filt)[..., c] for c in range(3)], -1)


def reference(rgb, gray, roi, S, fit, crop, filt):
    """(reference [S, S, 3] float, gray reference [S, S] or None)."""
    if filt == "fast":
        return (ref_fast(rgb, roi, S, fit, crop), None if gray is None else ref_fast(gray, roi, S, fit, crop))
    return (ref_pillow(Image.fromarray(rgb, "RGB"), roi, S, fit, crop, filt),
            None if gray is None else ref_pillow(Image.fromarray(gray, "L"), roi, S, fit, crop, filt))


def check_center_crop_against_torchvision(log):
    """Our center-crop reference is torchvision's Resize + CenterCrop (when it is installed)."""
    try:
        import torchvision.transforms.functional as TF
        from torchvision.transforms import InterpolationMode
    except Exception as e:  # noqa: BLE001 (torchvision is optional here)
        log("INFO  torchvision not importable (%s): center-crop reference not cross-checked" % e)
        return True
    ok = True
    for (w, h, S, crop, filt) in [(641, 359, 224, 0.875, "bicubic"), (263, 401, 37, 0.95, "bilinear"),
                                  (33, 17, 255, 0.8, "bicubic"), (300, 280, 224, 0.8, "bilinear"), (1, 1, 37, 1.0, "bicubic")]:
        img = Image.fromarray(noise(w, h, 5), "RGB")
        mode = InterpolationMode.BICUBIC if filt == "bicubic" else InterpolationMode.BILINEAR
        tv = np.asarray(TF.center_crop(TF.resize(img, crop_R(S, crop), interpolation=mode), S), np.float64)
        ours = ref_pillow(img, (0, 0, w, h), S, "center-crop", crop, filt)
        same = tv.shape == ours.shape and np.array_equal(tv, ours)
        ok &= same
        log("%s  center-crop reference == torchvision Resize(%d)+CenterCrop(%d) on %dx%d %s" %
            ("PASS" if same else "FAIL", crop_R(S, crop), S, w, h, filt))
    return ok


# ---------------------------------------------------------------------------
# YUV: conversion back to RGB (the reference) and frames made by numpy

def yuv_to_rgb(Y, U, V, matrix, full, site, sub, roi=None, rounded=True):
    """RGB of the frame's region roi (None: all of it) at full resolution, 8-bit (rounded)
    or float (clamped to [0, 255] only), chroma
    upsampled linearly from its sited positions. A region is cut out of the YUV frame: its
    chroma is the samples that overlap it (at their places in the frame), and the
    interpolation does not reach the samples beyond them, as luma taps do not reach
    outside the region."""
    h, w = Y.shape
    x0, y0, rw, rh = roi or (0, 0, w, h)
    hcos, vcos = SITE_FLAGS[site]

    def up(C, lo, n, cos, axis):
        # luma pixel j (centre j + 0.5) in chroma sample units: chroma i sits at luma 2i + 1
        # (centred) or 2i + 0.5 (co-sited); index = that - 0.5; clamped to the samples
        # [lo >> 1, (lo + n + 1) >> 1) that overlap luma [lo, lo + n)
        c = (np.arange(lo, lo + n) + 0.5 + (0.5 if cos else 0.0)) / 2 - 0.5
        first, last = lo >> 1, min((lo + n + 1) >> 1, C.shape[axis]) - 1
        c = np.clip(c, first, last)
        i0 = np.floor(c).astype(np.int64)
        i1 = np.minimum(i0 + 1, last)
        f = c - i0
        shape = [1, 1]
        shape[axis] = n
        f = f.reshape(shape)
        return np.take(C, i0, axis) * (1 - f) + np.take(C, i1, axis) * f

    def region(C):
        C = C.astype(np.float64)
        C = up(C, x0, rw, hcos, 1) if sub[0] else C[:, x0:x0 + rw]
        C = up(C, y0, rh, vcos, 0) if sub[1] else C[y0:y0 + rh]
        return C

    kr, kb = KRKB[matrix]
    kg = 1 - kr - kb
    U, V = region(U), region(V)
    Y = Y[y0:y0 + rh, x0:x0 + rw].astype(np.float64)
    if full:
        y, u, v = Y / 255.0, (U - 128) / 255.0, (V - 128) / 255.0
    else:
        y, u, v = (Y - 16) / 219.0, (U - 128) / 224.0, (V - 128) / 224.0
    r = y + 2 * (1 - kr) * v
    b = y + 2 * (1 - kb) * u
    g = (y - kr * r - kb * b) / kg
    rgb = np.clip(np.stack([r, g, b], -1) * 255, 0, 255)
    return np.round(rgb).astype(np.uint8) if rounded else rgb


def rgb_to_planes(rgb, matrix, full, sub):
    """numpy's frame (no GStreamer): the matrix, chroma box-averaged."""
    kr, kb = KRKB[matrix]
    kg = 1 - kr - kb
    f = rgb.astype(np.float64) / 255
    y = kr * f[..., 0] + kg * f[..., 1] + kb * f[..., 2]
    u = (f[..., 2] - y) / (2 * (1 - kb))
    v = (f[..., 0] - y) / (2 * (1 - kr))
    if full:
        Y, U, V = y * 255, u * 255 + 128, v * 255 + 128
    else:
        Y, U, V = 16 + 219 * y, 128 + 224 * u, 128 + 224 * v

    def down(C):
        if sub[0]:
            if C.shape[1] % 2:
                C = np.concatenate([C, C[:, -1:]], 1)
            C = (C[:, 0::2] + C[:, 1::2]) / 2
        if sub[1]:
            if C.shape[0] % 2:
                C = np.concatenate([C, C[-1:]], 0)
            C = (C[0::2] + C[1::2]) / 2
        return C

    q = lambda C: np.clip(np.round(C), 0, 255).astype(np.uint8)  # noqa: E731
    return q(Y), q(down(U)), q(down(V))


def tight_planes(fmt, w, h):
    """effnet's raw layout (effnet_frame_layout): (row bytes, rows) of each plane."""
    cw, ch = ceil_half(w), ceil_half(h)
    if fmt in ("i420", "yv12"):
        return [(w, h), (cw, ch), (cw, ch)]
    if fmt in ("nv12", "nv21"):
        return [(w, h), (2 * cw, ch)]
    return [(4 * cw, h)]


def comp_dims(fmt, w, h):
    sx, sy = YUV_SUB[fmt]
    return [(w, h), (ceil_half(w) if sx else w, ceil_half(h) if sy else h)]


def pack_yuv(fmt, Y, U, V):
    """Tight raw bytes of planes Y, U, V (numpy frames)."""
    h, w = Y.shape
    planes = [np.zeros((r, b), np.uint8) for b, r in tight_planes(fmt, w, h)]
    if fmt in ("yuy2", "uyvy", "yvyu") and w % 2:   # the missing Y1 of the last pair
        p, o, s = YUV_COMP[fmt][0]
        planes[p][:, o + w * s] = Y[:, -1]
    for C, (p, o, s) in zip((Y, U, V), YUV_COMP[fmt]):
        planes[p][:, o:o + C.shape[1] * s:s] = C
    return b"".join(pl.tobytes() for pl in planes)


def unpack_yuv(fmt, raw, w, h):
    """Y, U, V of a tight raw frame, by the component table."""
    planes, at = [], 0
    for b, r in tight_planes(fmt, w, h):
        planes.append(np.frombuffer(raw, np.uint8, b * r, at).reshape(r, b))
        at += b * r
    if at != len(raw):
        raise ValueError("%s %dx%d: %d bytes, layout says %d" % (fmt, w, h, len(raw), at))
    dims = comp_dims(fmt, w, h)
    out = []
    for c, (p, o, s) in enumerate(YUV_COMP[fmt]):
        cw, ch = dims[0 if c == 0 else 1]
        out.append(planes[p][:ch, o:o + cw * s:s].copy())
    return out


# ---------------------------------------------------------------------------
# GStreamer (optional): RGB -> YUV frames with videoconvert, in-process

class Gstreamer:
    def __init__(self, out, plugins_dir, log):
        self.ok, self.why = False, ""
        self.log = log
        if plugins_dir:  # only the two plugins it needs, and a registry of our own
            sysdir = os.path.join(out, "gst-system-plugins")
            shutil.rmtree(sysdir, ignore_errors=True)
            os.makedirs(sysdir)
            found = 0
            for p in ("libgstapp.so", "libgstvideoconvertscale.so", "libgstvideoconvert.so"):
                if os.path.exists(os.path.join(plugins_dir, p)):
                    os.symlink(os.path.join(plugins_dir, p), os.path.join(sysdir, p))
                    found += 1
            if found >= 2:
                os.environ["GST_PLUGIN_SYSTEM_PATH_1_0"] = sysdir
                os.environ["GST_PLUGIN_SYSTEM_PATH"] = sysdir
        try:
            Gst, GstVideo = load_gst(out, ("appsrc", "videoconvert", "appsink"))
        except Exception as e:  # noqa: BLE001 (anything: no gi, no typelib, no plugin)
            self.why = str(e)
            return
        self.Gst, self.GstVideo = Gst, GstVideo
        self.ok = True

    def caps(self, fmt, w, h, matrix, full, site):
        if full:
            col = "1:%d:0:0" % GST_MATRIX[matrix]
        else:
            col = matrix
        return "video/x-raw,format=%s,width=%d,height=%d,framerate=0/1,colorimetry=%s,chroma-site=%s" % (
            fmt.upper(), w, h, col, site)

    def check_layout(self):
        """GStreamer's component positions equal YUV_COMP (which reads the frames back)."""
        bad = []
        for fmt in YUV_FORMATS:
            info = self.GstVideo.VideoInfo.new_from_caps(self.Gst.Caps.from_string(
                "video/x-raw,format=%s,width=33,height=17" % fmt.upper()))
            fi = info.finfo
            got = [(fi.plane[c], fi.poffset[c], fi.pixel_stride[c]) for c in range(3)]
            sub = (fi.w_sub[1], fi.h_sub[1])
            if got != YUV_COMP[fmt] or sub != YUV_SUB[fmt]:
                bad.append("%s: GStreamer %s %s, test %s %s" % (fmt, got, sub, YUV_COMP[fmt], YUV_SUB[fmt]))
        return bad

    def convert(self, rgb, fmt, matrix, full, site):
        """rgb [h, w, 3] -> the tight raw bytes of the frame videoconvert makes."""
        Gst, GstVideo = self.Gst, self.GstVideo
        h, w = rgb.shape[:2]
        in_caps = Gst.Caps.from_string("video/x-raw,format=RGB,width=%d,height=%d,framerate=0/1" % (w, h))
        iinfo = GstVideo.VideoInfo.new_from_caps(in_caps)
        src_bytes = bytearray(iinfo.size)
        st = iinfo.stride[0]
        for r in range(h):
            src_bytes[r * st:r * st + 3 * w] = rgb[r].tobytes()
        out_caps = Gst.Caps.from_string(self.caps(fmt, w, h, matrix, full, site))
        p = Gst.Pipeline.new()
        src = Gst.ElementFactory.make("appsrc")
        conv = Gst.ElementFactory.make("videoconvert")
        sink = Gst.ElementFactory.make("appsink")
        src.set_property("caps", in_caps)
        src.set_property("format", Gst.Format.TIME)
        sink.set_property("caps", out_caps)
        sink.set_property("sync", False)
        for e in (src, conv, sink):
            p.add(e)
        src.link(conv)
        conv.link(sink)
        try:
            if p.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
                raise RuntimeError("the pipeline did not start")
            src.emit("push-buffer", Gst.Buffer.new_wrapped(bytes(src_bytes)))
            src.emit("end-of-stream")
            sample = sink.emit("try-pull-sample", 10 * Gst.SECOND)
            if sample is None:
                msg = p.get_bus().pop_filtered(Gst.MessageType.ERROR)
                raise RuntimeError("videoconvert gave no frame%s" %
                                   (": " + msg.parse_error()[0].message if msg else ""))
            oinfo = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
            buf = sample.get_buffer()
            ok, mi = buf.map(Gst.MapFlags.READ)
            data = bytes(mi.data)
            buf.unmap(mi)
        finally:
            p.set_state(Gst.State.NULL)
        if (oinfo.colorimetry.matrix != getattr(GstVideo.VideoColorMatrix, matrix.upper()) or
                (int(oinfo.colorimetry.range) == 1) != bool(full)):  # GST_VIDEO_COLOR_RANGE_0_255
            raise RuntimeError("videoconvert made %s, not %s %s" % (
                oinfo.colorimetry.to_string(), matrix, "full" if full else "limited"))
        parts = []
        for p_i, (b, r) in enumerate(tight_planes(fmt, w, h)):
            off, st = oinfo.offset[p_i], oinfo.stride[p_i]
            for row in range(r):
                parts.append(data[off + row * st:off + row * st + b])
        return b"".join(parts)

    def to_rgb16(self, raw, fmt, w, h, matrix, full, site):
        """INFO only: videoconvert's own way back (RGBA64, 16 bits) as 0..255 floats."""
        Gst, GstVideo = self.Gst, self.GstVideo
        in_caps = Gst.Caps.from_string(self.caps(fmt, w, h, matrix, full, site))
        iinfo = GstVideo.VideoInfo.new_from_caps(in_caps)
        buf = bytearray(iinfo.size)
        at = 0
        for p_i, (b, r) in enumerate(tight_planes(fmt, w, h)):
            off, st = iinfo.offset[p_i], iinfo.stride[p_i]
            for row in range(r):
                buf[off + row * st:off + row * st + b] = raw[at:at + b]
                at += b
        p = Gst.parse_launch("appsrc name=src ! videoconvert dither=none ! appsink name=sink sync=false")
        src, sink = p.get_by_name("src"), p.get_by_name("sink")
        sink.set_property("caps", Gst.Caps.from_string("video/x-raw,format=RGBA64_LE"))
        src.set_property("caps", in_caps)
        src.set_property("format", Gst.Format.TIME)
        try:
            p.set_state(Gst.State.PLAYING)
            src.emit("push-buffer", Gst.Buffer.new_wrapped(bytes(buf)))
            src.emit("end-of-stream")
            sample = sink.emit("try-pull-sample", 10 * Gst.SECOND)
            if sample is None:
                return None
            oinfo = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
            b = sample.get_buffer()
            ok, mi = b.map(Gst.MapFlags.READ)
            data = bytes(mi.data)
            b.unmap(mi)
        finally:
            p.set_state(Gst.State.NULL)
        st = oinfo.stride[0]
        a = np.frombuffer(data, np.uint8)[:st * h].reshape(h, st)[:, :8 * w].copy()
        return a.view("<u2").reshape(h, w, 4)[..., :3] / 257.0


# ---------------------------------------------------------------------------
# running effnet and comparing

class Runner:
    def __init__(self, effnet, out, quiet):
        self.effnet, self.out, self.quiet = effnet, out, quiet
        self.cases = self.fails = self.runs = 0
        self.failures = []
        self.worst = {}       # (family, isa) -> [max, mean]
        self.seconds = 0.0

    def log(self, line):
        print(line, flush=True)

    def prep(self, args, isa, n):
        out = os.path.join(self.out, "out.npy")
        if os.path.exists(out):
            os.remove(out)
        cmd = [self.effnet, "prep"] + args + ["--isa", isa, "--out", out]
        t0 = time.time()
        p = subprocess.run(cmd, capture_output=True, timeout=300)
        self.seconds += time.time() - t0
        self.runs += 1
        if p.returncode != 0:
            return None, "exit %d: %s  [%s]" % (p.returncode, p.stderr.decode(errors="replace").strip(),
                                                " ".join(cmd))
        x = np.load(out)
        if x.dtype != np.float32 or x.ndim != 4 or x.shape[0] != n or x.shape[1] != 3:
            return None, "output %s %s, want (%d, 3, S, S) float32  [%s]" % (x.dtype, x.shape, n, " ".join(cmd))
        return x, None

    def compare(self, family, label, isa, got, ref, tol, info_ref=None):
        """got [3, S, S]; ref [S, S, 3] or [S, S] (gray: every channel). info_ref: a second
        reference [S, S, 3] whose distance is only printed (and its worst kept)."""
        self.cases += 1
        info = ""
        if info_ref is not None and got.shape == info_ref.transpose(2, 0, 1).shape:
            d = np.abs(got.astype(np.float64) - info_ref.transpose(2, 0, 1))
            imx, imean = float(d.max()), float(d.reshape(3, -1).mean(1).max())
            w = self.worst.setdefault((family + "/8bit-ref", isa), [0.0, 0.0])
            w[0], w[1] = max(w[0], imx), max(w[1], imean)
            info = "  (8-bit RGB ref: max %.3f mean %.4f)" % (imx, imean)
        if ref.ndim == 2:
            ref = np.repeat(ref[..., None], 3, -1)
        ref = ref.transpose(2, 0, 1)
        if got.shape != ref.shape:
            ok, mx, mean = False, float("nan"), float("nan")
            why = "shape %s, want %s" % (got.shape, ref.shape)
        else:
            d = np.abs(got.astype(np.float64) - ref)
            mx = float(d.max())
            mean = float(d.reshape(3, -1).mean(1).max())
            ok = mx <= tol[0] + SLACK and mean <= tol[1] + SLACK and np.isfinite(d).all()
            why = "" if ok else "tolerance max %.2f mean %.2f" % tol
            w = self.worst.setdefault((family, isa), [0.0, 0.0])
            w[0], w[1] = max(w[0], mx), max(w[1], mean)
        line = "%s  %-64s %-6s max %.3f mean %.4f%s" % ("PASS" if ok else "FAIL", label, isa, mx, mean, info)
        if not ok:
            self.fails += 1
            self.failures.append(label + " " + isa)
            line += "  <- " + why
        if not ok or not self.quiet:
            self.log(line)
        return ok

    def error(self, label, isa, why):
        self.cases += 1
        self.fails += 1
        self.failures.append(label + " " + isa)
        self.log("FAIL  %-64s %-6s %s" % (label, isa, why))


def roi_args(rois):
    a = []
    for r in rois:
        a += ["--roi", "%d,%d,%d,%d" % r]
    return a


def geometry_args(S, fit, crop, filt):
    return ["--input-size", str(S), "--fit", fit, "--filter", filt, "--crop-pct", repr(crop), "--unnormalized"]


def fit_label(fit, crop):
    return "center-crop(%g)" % crop if fit == "center-crop" else fit


# ---------------------------------------------------------------------------
# the cases

def rgb_groups(pics):
    """(picture, S, fit, crop_pct, filters, rois); rois None = the whole picture only."""
    W = lambda name: (0, 0) + pics[name][0].shape[1::-1]  # noqa: E731
    return [
        # 641x359: center-crop 0.875 (shrink 1.4), ROIs at odd offsets
        ("noise641", 224, "center-crop", 0.875, ["bicubic", "bilinear", "fast"],
         [W("noise641"), (1, 3, 333, 251), (17, 5, 101, 299)]),
        # crop_pct 1.0 on a smooth picture; (3,1,37,37) is exactly S x S: no scaling
        ("smooth641", 37, "center-crop", 1.0, ["bicubic", "bilinear", "fast"],
         [W("smooth641"), (3, 1, 37, 37), (5, 7, 201, 99)]),
        # crop_pct 0.8: R = 280 (a float 0.8 would give 279); (9,11,280,300): a pure crop
        ("noise641", 224, "center-crop", 0.8, ["bicubic", "bilinear", "fast"],
         [W("noise641"), (1, 1, 224, 224), (9, 11, 280, 300)]),
        ("smooth641", 255, "center-crop", 0.875, ["bilinear"], [W("smooth641"), (17, 19, 300, 291)]),
        # letterbox: landscape, portrait ROI, a small ROI enlarged, exactly S x S
        ("noise641", 255, "letterbox", 0.875, ["bicubic", "bilinear", "fast"],
         [W("noise641"), (3, 7, 151, 347), (5, 9, 11, 7), (2, 2, 255, 255)]),
        # portrait pictures
        ("smooth263x401", 224, "letterbox", 0.875, ["bicubic", "fast"], [W("smooth263x401"), (1, 1, 261, 101)]),
        ("smooth263x401", 224, "center-crop", 0.875, ["bicubic"], [W("smooth263x401"), (1, 1, 261, 101)]),
        # stretch: shrink factors 1, 1.49, 2, 3.7, 8, 17 x 9.7, and an enlargement
        ("noise641", 37, "stretch", 0.875, ["bicubic", "bilinear", "fast"],
         [W("noise641"), (1, 1, 37, 37), (3, 5, 55, 55), (7, 9, 74, 74), (11, 13, 137, 137),
          (21, 23, 296, 296), (1, 2, 3, 5)]),
        ("smooth641", 224, "stretch", 0.875, ["bicubic"], [W("smooth641"), (1, 1, 224, 224), (3, 5, 336, 336)]),
        # odd small picture
        ("noise33x17", 37, "center-crop", 0.95, ["bicubic", "bilinear", "fast"],
         [W("noise33x17"), (1, 1, 31, 15), (3, 2, 5, 13)]),
        ("noise33x17", 255, "letterbox", 0.875, ["bicubic", "fast"], [W("noise33x17"), (3, 2, 5, 13)]),
        ("noise33x17", 37, "stretch", 0.875, ["bilinear"], [W("noise33x17"), (1, 1, 31, 15)]),
        # 1x1 and 2x2 pictures, every fit
        ("noise1x1", 224, "center-crop", 0.875, ["bicubic", "bilinear", "fast"], None),
        ("noise1x1", 37, "letterbox", 0.875, ["bicubic", "fast"], None),
        ("noise1x1", 37, "stretch", 0.875, ["bilinear"], None),
        ("noise2x2", 37, "center-crop", 1.0, ["bicubic", "bilinear", "fast"], [W("noise2x2"), (1, 0, 1, 2), (1, 1, 1, 1)]),
        ("noise2x2", 224, "letterbox", 0.875, ["bicubic"], [W("noise2x2"), (0, 1, 2, 1)]),
        ("noise2x2", 255, "stretch", 0.875, ["bicubic", "fast"], [W("noise2x2"), (1, 0, 1, 2)]),
        # 4096-wide rows: shrink ~20 (stretch 4096 -> 205 and 480 -> 24; center-crop 540 -> R 27)
        ("noise4096", 205, "stretch", 0.875, ["bicubic", "bilinear", "fast"], [W("noise4096"), (1, 3, 4093, 540)]),
        ("noise4096", 24, "stretch", 0.875, ["bicubic", "bilinear", "fast"], [(5, 7, 480, 480), (3, 1, 195, 195)]),
        ("noise4096", 24, "center-crop", 0.875, ["bicubic", "bilinear", "fast"], [W("noise4096"), (3, 1, 601, 540)]),
        ("noise4096", 224, "center-crop", 0.875, ["bicubic"], None),
        ("noise4096", 224, "letterbox", 0.875, ["bilinear"], [W("noise4096"), (7, 3, 1001, 539)]),
        ("smooth4096x67", 255, "letterbox", 0.875, ["bicubic", "fast"], None),
        ("smooth4096x67", 224, "center-crop", 0.875, ["bicubic", "bilinear"], [W("smooth4096x67"), (1, 1, 4093, 65)]),
    ]


def yuv_groups(pics):
    """(picture, (matrix, full, chroma-site), S, fit, crop_pct, filters, rois)."""
    W = lambda name: (0, 0) + pics[name][0].shape[1::-1]  # noqa: E731
    bt601 = ("bt601", 0, "mpeg2")
    bt709 = ("bt709", 0, "jpeg")
    bt709f = ("bt709", 1, "mpeg2")
    bt2020 = ("bt2020", 0, "jpeg")
    bt601f = ("bt601", 1, "jpeg")
    cosited = ("bt709", 0, "cosited")
    return [
        ("ysmooth641", bt601, 224, "center-crop", 0.875, ["bicubic", "bilinear", "fast"],
         [W("ysmooth641"), (1, 3, 333, 251), (17, 5, 101, 299)]),
        ("ysmooth641", bt709, 37, "stretch", 0.875, ["bicubic", "fast"],
         [W("ysmooth641"), (1, 1, 37, 37), (3, 5, 55, 55), (7, 9, 74, 74), (11, 13, 137, 137),
          (21, 23, 296, 296)]),
        # (5,9,11,7): an odd region enlarged 23x
        ("ysmooth641", bt709f, 255, "letterbox", 0.875, ["bicubic", "bilinear", "fast"],
         [W("ysmooth641"), (3, 7, 151, 347), (5, 9, 11, 7), (5, 9, 31, 21)]),
        ("ysmooth641", bt2020, 224, "center-crop", 1.0, ["bicubic"], [(1, 1, 224, 224), (3, 3, 300, 300)]),
        ("ysmooth641", bt601f, 224, "stretch", 0.875, ["bilinear"], [W("ysmooth641"), (1, 1, 639, 357)]),
        ("ysmooth641", cosited, 224, "center-crop", 0.875, ["bicubic"], [W("ysmooth641"), (3, 1, 301, 203)]),
        ("ysmooth33x17", bt601, 37, "center-crop", 0.95, ["bicubic", "bilinear", "fast"],
         [W("ysmooth33x17"), (1, 1, 31, 15), (3, 2, 5, 13)]),
        ("ysmooth33x17", bt709f, 255, "letterbox", 0.875, ["bicubic"], [W("ysmooth33x17"), (3, 2, 5, 13)]),
        ("ysmooth2x2", bt709, 37, "stretch", 0.875, ["bicubic", "fast"], [W("ysmooth2x2"), (1, 0, 1, 2), (1, 1, 1, 1)]),
        ("ysmooth2x2", bt709f, 224, "center-crop", 0.875, ["bilinear"], None),
    ]


def make_pictures():
    pics = {}
    for name, rgb in [("noise641", noise(641, 359, 1)), ("smooth641", smooth(641, 359, 2, amp=1.6, sigma=6)),
                      ("smooth263x401", smooth(263, 401, 3, amp=1.6, sigma=6)), ("noise33x17", noise(33, 17, 4)),
                      ("noise1x1", noise(1, 1, 5)), ("noise2x2", noise(2, 2, 6)),
                      ("noise4096", noise(4096, 544, 7)), ("smooth4096x67", smooth(4096, 67, 8, amp=1.6, sigma=6)),
                      ("ysmooth641", smooth(641, 359, 9, freq=0.5, gray_noise=True)), ("ysmooth33x17", smooth(33, 17, 10, freq=0.5, gray_noise=True)),
                      ("ysmooth2x2", smooth(2, 2, 11, freq=0.5, gray_noise=True))]:
        pics[name] = (rgb, gray_of(rgb))
    return pics


def write_rgb_frames(out, name, rgb, gray):
    """{format: (path, w, h)} raw files of every RGB-family format."""
    h, w = rgb.shape[:2]
    rng = np.random.default_rng(99)
    files = {}
    for fmt, (bpp, offs) in RGB_LAYOUT.items():
        buf = rng.integers(0, 256, (h, w, bpp), dtype=np.uint8)  # the x byte: garbage
        for c in range(3):
            buf[..., offs[c]] = rgb[..., c]
        path = os.path.join(out, "%s.%s" % (name, fmt))
        buf.tofile(path)
        files[fmt] = path
    path = os.path.join(out, "%s.gray8" % name)
    gray.tofile(path)
    files["gray8"] = path
    return files


def isa_available(r, isa, probe):
    x, err = r.prep(["--raw", probe, "--format", "rgb", "--size", "2x2", "--input-size", "8"], isa, 1)
    if x is not None:
        return True, ""
    if "kernels are not available" in err:
        return False, err.split("  [")[0]
    return True, ""  # a different failure: let the cases report it


def run_rgb(r, pics, isas):
    for g_i, (name, S, fit, crop, filters, rois) in enumerate(rgb_groups(pics)):
        rgb, gray = pics[name]
        h, w = rgb.shape[:2]
        rois_ = rois or [(0, 0, w, h)]
        files = write_rgb_frames(r.out, "g%02d" % g_i, rgb, gray)
        for filt in filters:
            refs = [reference(rgb, gray, roi, S, fit, crop, filt) for roi in rois_]
            geo = geometry_args(S, fit, crop, filt) + (roi_args(rois) if rois else [])
            for fmt in RGB_FORMATS:
                args = ["--raw", files[fmt], "--format", fmt, "--size", "%dx%d" % (w, h)] + geo
                for isa in isas:
                    x, err = r.prep(args, isa, len(rois_))
                    for i, roi in enumerate(rois_):
                        label = "%-5s %4dx%-4d S=%-3d %-17s %-8s roi=%s" % (
                            fmt, w, h, S, fit_label(fit, crop), filt, "%d,%d,%d,%d" % roi)
                        if x is None:
                            r.error(label, isa, err)
                            break
                        ref = refs[i][1] if fmt == "gray8" else refs[i][0]
                        r.compare("rgb-fast" if filt == "fast" else "rgb", label, isa, x[i], ref,
                                  TOL["rgb" if filt == "fast" else "rgb-exact"])
        for f in files.values():
            os.remove(f)


def run_image_files(r, pics, isas):
    """--image: PPM, PGM, PNG (RGB, RGBA with alpha, gray) and JPEG."""
    rgb, gray = pics["smooth641"]
    nrgb = pics["noise641"][0]
    h, w = rgb.shape[:2]
    rng = np.random.default_rng(12)
    rgba = np.concatenate([nrgb, rng.integers(0, 256, (h, w, 1), dtype=np.uint8)], -1)
    files = []
    P = lambda n: os.path.join(r.out, n)  # noqa: E731
    Image.fromarray(nrgb, "RGB").save(P("pic.ppm"))
    files.append(("ppm", P("pic.ppm"), Image.fromarray(nrgb, "RGB")))
    Image.fromarray(gray, "L").save(P("pic.pgm"))
    files.append(("pgm", P("pic.pgm"), Image.fromarray(gray, "L")))
    Image.fromarray(nrgb, "RGB").save(P("pic.png"))
    files.append(("png", P("pic.png"), Image.fromarray(nrgb, "RGB")))
    Image.fromarray(rgba, "RGBA").save(P("pic-rgba.png"))
    # timm's loader: .convert('RGB') drops the alpha channel
    files.append(("png-rgba", P("pic-rgba.png"), Image.open(P("pic-rgba.png")).convert("RGB")))
    Image.fromarray(gray, "L").save(P("pic-gray.png"))
    files.append(("png-gray", P("pic-gray.png"), Image.fromarray(gray, "L")))
    Image.fromarray(rgb, "RGB").save(P("pic.jpg"), quality=90)
    # the reference decodes the JPEG with Pillow, as timm's loader does
    files.append(("jpeg", P("pic.jpg"), Image.open(P("pic.jpg")).convert("RGB")))
    rois = [(0, 0, w, h), (3, 5, 301, 199)]
    for kind, path, img in files:
        for (S, fit, crop, filt) in [(224, "center-crop", 0.875, "bicubic"), (37, "letterbox", 0.875, "bilinear")]:
            refs = [ref_pillow(img, roi, S, fit, crop, filt) for roi in rois]
            args = ["--image", path] + geometry_args(S, fit, crop, filt) + roi_args(rois)
            for isa in isas:
                x, err = r.prep(args, isa, len(rois))
                for i, roi in enumerate(rois):
                    label = "%-8s %dx%d S=%-3d %-17s %-8s roi=%s" % (kind, w, h, S, fit_label(fit, crop), filt,
                                                                    "%d,%d,%d,%d" % roi)
                    if x is None:
                        r.error(label, isa, err)
                        break
                    r.compare("rgb", label, isa, x[i], refs[i], TOL["rgb-exact"])


def run_normalization(r, pics, isas):
    """Normalized output = (v/255 - mean)/std of the unnormalized one (1e-5), for the default
    (ImageNet) and a given --mean/--std; center-crop and letterbox, two ROIs each. The
    letterbox border is the mean colour: exactly 0 normalized, and so mean*255 on the
    0..255 scale of --unnormalized (checked once, separately)."""
    rgb = pics["smooth641"][0]
    h, w = rgb.shape[:2]
    path = os.path.join(r.out, "norm.rgb")
    rgb.tofile(path)
    rois = [(0, 0, w, h), (3, 7, 151, 347)]
    imagenet = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    for fit in ("center-crop", "letterbox"):
        base = ["--raw", path, "--format", "rgb", "--size", "%dx%d" % (w, h), "--input-size", "224",
                "--fit", fit] + roi_args(rois)
        # where the picture is in each S x S image (letterbox: the rest is border)
        inside = np.zeros((len(rois), 3, 224, 224), bool)
        for i, roi in enumerate(rois):
            plan = fit_plan(roi[2], roi[3], 224, fit, 0.875)
            (dx, dy), (ow, oh) = plan["dst"], plan["out"]
            inside[i, :, dy:dy + oh, dx:dx + ow] = True
        for isa in isas:
            u, err = r.prep(base + ["--unnormalized"], isa, len(rois))
            for mean, std in [imagenet, ((0.5, 0.25, 0.125), (0.2, 0.3, 0.4))]:
                extra = [] if mean == imagenet[0] else ["--mean", "%g,%g,%g" % mean, "--std", "%g,%g,%g" % std]
                label = "normalization %s mean=%s std=%s" % (fit, ",".join("%g" % v for v in mean),
                                                          ",".join("%g" % v for v in std))
                x, err2 = (None, err) if u is None else r.prep(base + extra, isa, len(rois))
                if x is None:
                    r.error(label, isa, err2)
                    continue
                r.cases += 1
                m = np.array(mean, np.float64)[None, :, None, None]
                s = np.array(std, np.float64)[None, :, None, None]
                want = (u.astype(np.float64) / 255 - m) / s
                d = np.abs(x - want)
                d_in = float(d[inside].max())
                border = x[~inside]
                ok = d_in <= NORM_TOL and not np.any(border != 0)
                line = "%s  %-64s %-6s picture max %.2e" % ("PASS" if ok else "FAIL", label, isa, d_in)
                if fit == "letterbox":
                    line += ", border (normalized) %s" % ("exactly 0" if not np.any(border != 0) else
                                                          "max |v| %g, want exactly 0" % np.abs(border).max())
                if not ok:
                    r.fails += 1
                    r.failures.append(label + " " + isa)
                r.log(line)
        if fit == "letterbox" and u is not None:
            # --unnormalized is "the input on the 0..255 scale": the border should be the mean
            # colour on that scale, so that normalizing it gives the normalized input (0).
            r.cases += 1
            ub = u.transpose(1, 0, 2, 3)[:, ~inside[:, 0]]          # [3, border pixels]
            want = np.array(imagenet[0])[:, None] * 255
            dd = float(np.abs(ub - want).max()) if ub.size else 0.0
            ok = dd <= 255 * NORM_TOL
            line = ("%s  %-64s %-6s border %s, want the mean colour %s (max |d| %.3f)" % (
                "PASS" if ok else "FAIL", "--unnormalized letterbox border = mean*255", isas[-1],
                ",".join("%g" % v for v in ub[:, 0]) if ub.size else "-",
                ",".join("%g" % v for v in want[:, 0]), dd))
            if not ok:
                r.fails += 1
                r.failures.append("--unnormalized letterbox border")
            r.log(line)
    os.remove(path)


def run_yuv(r, pics, isas, gst):
    frames = {}   # (picture, colorimetry, fmt) -> (path, Y, U, V)
    info_done = set()
    for name, col, S, fit, crop, filters, rois in yuv_groups(pics):
        rgb = pics[name][0]
        h, w = rgb.shape[:2]
        matrix, full, site = col
        rois_ = rois or [(0, 0, w, h)]
        for fmt in YUV_FORMATS:
            key = (name, col, fmt)
            if key not in frames:
                if gst.ok:
                    try:
                        raw = gst.convert(rgb, fmt, matrix, full, site)
                    except RuntimeError as e:
                        r.error("videoconvert RGB -> %s %dx%d %s" % (fmt, w, h, col), "-", str(e))
                        continue
                else:
                    raw = pack_yuv(fmt, *rgb_to_planes(rgb, matrix, full, YUV_SUB[fmt]))
                path = os.path.join(r.out, "y-%s-%s-%d-%s.%s" % (name, matrix, full, site, fmt))
                with open(path, "wb") as f:
                    f.write(raw)
                Y, U, V = unpack_yuv(fmt, raw, w, h)
                back = yuv_to_rgb(Y, U, V, matrix, full, site, YUV_SUB[fmt])
                # the test's own reading of the frame: back must be close to the picture it was
                # made from (a swapped U/V or a wrong offset would be far off)
                d = np.abs(back.astype(np.float64) - rgb)
                sane = d.mean() < 3.0
                r.cases += 1
                r.log("%s  frame %-5s %4dx%-4d %s %s %s: read back vs source RGB max %.1f mean %.2f" % (
                    "PASS" if sane else "FAIL", fmt, w, h, matrix, "full" if full else "limited", site,
                    d.max(), d.mean()))
                if not sane:
                    r.fails += 1
                    r.failures.append("frame %s %s" % (fmt, col))
                if gst.ok and (fmt, col) not in info_done and name == "ysmooth641":
                    info_done.add((fmt, col))
                    g16 = gst.to_rgb16(raw, fmt, w, h, matrix, full, site)
                    if g16 is not None:
                        dg = np.abs(g16 - back)
                        r.log("INFO  videoconvert's own %s -> RGBA64 vs the numpy reference: max %.2f mean %.2f "
                              "(not used as the reference)" % (fmt, dg.max(), dg.mean()))
                frames[key] = (path, (Y, U, V))
            path, planes = frames[key]
            yargs = ["--raw", path, "--format", fmt, "--size", "%dx%d" % (w, h), "--matrix", matrix,
                     "--range", "full" if full else "limited", "--chroma-site", site]
            for filt in filters:
                refs, refs8 = [], []
                for roi in rois_:
                    whole = (0, 0, roi[2], roi[3])
                    rf = yuv_to_rgb(*planes, matrix, full, site, YUV_SUB[fmt], roi, rounded=False)
                    r8 = yuv_to_rgb(*planes, matrix, full, site, YUV_SUB[fmt], roi)
                    if filt == "fast":
                        refs.append(ref_fast(rf, whole, S, fit, crop))
                        refs8.append(ref_fast(r8, whole, S, fit, crop))
                    else:
                        refs.append(ref_pillow_float(rf, S, fit, crop, filt))
                        refs8.append(ref_pillow(Image.fromarray(r8, "RGB"), whole, S, fit, crop, filt))
                args = yargs + geometry_args(S, fit, crop, filt) + (roi_args(rois) if rois else [])
                for isa in isas:
                    x, err = r.prep(args, isa, len(rois_))
                    for i, roi in enumerate(rois_):
                        label = "%-5s %4dx%-4d %s/%s/%s S=%-3d %-17s %-8s roi=%s" % (
                            fmt, w, h, matrix, "full" if full else "lim", site, S, fit_label(fit, crop), filt,
                            "%d,%d,%d,%d" % roi)
                        if x is None:
                            r.error(label, isa, err)
                            break
                        r.compare("yuv-fast" if filt == "fast" else "yuv", label, isa, x[i], refs[i], TOL["yuv"],
                                  info_ref=refs8[i])
    for path, _ in frames.values():
        os.remove(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("effnet")
    ap.add_argument("out")
    ap.add_argument("--isa", default="scalar,avx2,avx512")
    ap.add_argument("--gst-plugins", default=None, help="GStreamer's system plugin folder (own registry)")
    ap.add_argument("--quiet", action="store_true", help="print failures only (and the summary)")
    ap.add_argument("--only", default="rgb,files,norm,yuv", help="sections to run (default all)")
    ap.add_argument("--no-gst", action="store_true", help="make the YUV frames with numpy even if GStreamer is there")
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    t0 = time.time()
    r = Runner(os.path.abspath(a.effnet), out, a.quiet)
    parts = a.only.split(",")

    probe = os.path.join(out, "probe.rgb")
    noise(2, 2, 0).tofile(probe)
    isas = []
    for isa in a.isa.split(","):
        ok, why = isa_available(r, isa, probe)
        if ok:
            isas.append(isa)
        else:
            r.log("SKIP  --isa %s: %s" % (isa, why))
    if not isas:
        r.log("SKIP: no ISA to test")
        return 77

    ok_tv = check_center_crop_against_torchvision(r.log)
    if not ok_tv:
        r.fails += 1
        r.failures.append("center-crop reference vs torchvision")
    pics = make_pictures()
    gst = Gstreamer(out, a.gst_plugins, r.log)
    if a.no_gst:
        gst.ok, gst.why = False, "--no-gst"
    if "yuv" in parts:
        if gst.ok:
            bad = gst.check_layout()
            for b in bad:
                r.error("GStreamer component layout", "-", b)
            r.log("INFO  YUV frames made by GStreamer's videoconvert (component layout %s)" %
                  ("differs" if bad else "as the test reads it"))
        else:
            r.log("SKIP  GStreamer (gi/Gst/videoconvert) not available (%s): YUV frames made by numpy" % gst.why)

    sections = [("rgb", lambda: run_rgb(r, pics, isas)), ("files", lambda: run_image_files(r, pics, isas)),
                ("norm", lambda: run_normalization(r, pics, isas)), ("yuv", lambda: run_yuv(r, pics, isas, gst))]
    for name, fn in sections:
        if name in parts:
            ts = time.time()
            fn()
            r.log("----  %s: %.1f s" % (name, time.time() - ts))

    r.log("")
    r.log("summary: %d cases, %d effnet runs (%.1f s in effnet), %d failed, %.1f s in all" %
          (r.cases, r.runs, r.seconds, r.fails, time.time() - t0))
    for (family, isa), (mx, mean) in sorted(r.worst.items()):
        tol = TOL["yuv" if family.startswith("yuv") else "rgb" if family.endswith("fast") else "rgb-exact"]
        r.log("  worst %-18s %-6s max %.3f mean %.4f (0..255 scale; %s)" %
              (family, isa, mx, mean, "information only" if "8bit" in family else
               "limits %.2f / %.2f" % tol))
    if r.fails:
        r.log("FAILED (%d): %s" % (r.fails, "; ".join(r.failures[:40]) + (" ..." if len(r.failures) > 40 else "")))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
