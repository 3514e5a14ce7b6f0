#!/usr/bin/python3
"""Runs the recipes of pipelines/ on small generated inputs (meson test --suite pipelines).

    test_pipelines.py CASE --root SRC --tool EFFNET-CLASSIFY --weights DIR --work DIR

CASE:
  h264    (b) file_to_h264.sh: the MP4 exists, holds H.264, and decodes to as many frames as the clip
  jsonl   (c) file_to_jsonl.sh: one JSON line per frame of a clip and an image
  rtsp    (d) rtsp_classify.py against a local RTSP server on 127.0.0.1 (tests/tools/pipelines/
          rtsp_server.py); where gst-rtsp-server's Python bindings are missing, against a live
          videotestsrc (--test-source) instead, and it says so
  roi     (e) roi_classify.py: the ball of videotestsrc and a 2x2 grid over a clip, each ROI's
          "classification" printed
  camera  (a) camera_overlay.sh --dry-run (live videotestsrc, fakesink); skipped without
          efficientnetoverlay

Environment (meson): GST_PLUGIN_PATH, GST_PLUGIN_SYSTEM_PATH (links to the system plugins the
recipes use), GST_REGISTRY (the tests' own), GST_REGISTRY_FORK=no. Exit 0 passed, 77 skipped.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from testlib import SKIP, check, fail, init_gst, run_to_eos, skip  # noqa: E402

FRAMES = 10


class Ctx:
    def __init__(self, a):
        self.root = os.path.abspath(a.root)
        self.weights = os.path.abspath(a.weights)
        self.work = os.path.abspath(a.work)
        self.env = dict(os.environ, EFFNET_CLASSIFY=os.path.abspath(a.tool))
        self.env.pop("EFFNET_WEIGHTS", None)
        self.Gst = init_gst()

    def script(self, name):
        return os.path.join(self.root, "pipelines", name)

    def run(self, args, timeout=300):
        t = time.monotonic()
        p = subprocess.run(args, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        print("$ %s\n  exit %d in %.1f s" % (" ".join(args), p.returncode, time.monotonic() - t))
        if p.returncode != 0:
            fail("%s exited %d:\n%s\n%s" % (os.path.basename(args[0]), p.returncode, out, err))
        return out, err

    def has(self, *elements):
        return all(self.Gst.ElementFactory.find(e) is not None for e in elements)

    def gst_run(self, desc, probe_on=None, probe=None):
        run_to_eos(self.Gst, desc, probe_on, probe)

    def make_clip(self, frames=FRAMES):
        path = os.path.join(self.work, "clip.mkv")
        self.gst_run("videotestsrc num-buffers=%d pattern=ball ! "
                     "video/x-raw,width=160,height=120,framerate=10/1 ! jpegenc ! matroskamux ! "
                     "filesink location=%s" % (frames, path))
        return path


def case_h264(ctx):
    Gst = ctx.Gst
    if not (ctx.has("x264enc") or ctx.has("openh264enc")):
        skip("no H.264 encoder (x264enc: gstreamer1.0-plugins-ugly)")
    clip = ctx.make_clip()
    out = os.path.join(ctx.work, "labelled.mp4")
    _, err = ctx.run([ctx.script("file_to_h264.sh"), "--weights", ctx.weights, clip, out])
    check(os.path.getsize(out) > 1000, "%s is %d bytes" % (out, os.path.getsize(out)))
    if not ctx.has("efficientnetoverlay"):
        check("labels are not drawn" in err, "no note about the missing overlay: %r" % err)
    # The container holds H.264 ...
    caps = []
    ctx.gst_run("filesrc location=%s ! qtdemux ! fakesink name=s" % out, "s",
                lambda pad, info: caps.append(pad.get_current_caps().to_string()) or
                Gst.PadProbeReturn.OK)
    check(caps and caps[0].startswith("video/x-h264"), "MP4 stream caps: %r" % caps[:1])
    check(len(caps) == FRAMES, "%d H.264 frames in the MP4, %d in the clip" % (len(caps), FRAMES))
    # ... that decodes, to as many frames.
    if ctx.has("avdec_h264") or ctx.has("openh264dec"):
        frames = []
        ctx.gst_run("uridecodebin uri=%s ! videoconvert ! fakesink name=s" % Gst.filename_to_uri(out),
                    "s", lambda pad, info: frames.append(1) or Gst.PadProbeReturn.OK)
        check(len(frames) == FRAMES, "decoded %d frames, want %d" % (len(frames), FRAMES))
        print("h264: %s holds %d H.264 frames, all decoded" % (out, FRAMES))
    else:
        print("h264: %s holds %d H.264 frames (no H.264 decoder here to decode them)" % (out, FRAMES))


def case_jsonl(ctx):
    clip = ctx.make_clip()
    png = os.path.join(ctx.work, "still.png")
    ctx.gst_run("videotestsrc num-buffers=1 ! video/x-raw,width=64,height=64 ! pngenc ! "
                "filesink location=%s" % png)
    out = os.path.join(ctx.work, "labels.jsonl")
    _, err = ctx.run([ctx.script("file_to_jsonl.sh"), "--weights", ctx.weights, "--top-k", "3",
                      out, clip, png])
    with open(out, encoding="utf-8") as f:
        recs = [json.loads(line) for line in f]
    check(len(recs) == FRAMES + 1, "%d JSON lines for %d frames + 1 image" % (len(recs), FRAMES))
    check([r["frame"] for r in recs] == list(range(FRAMES)) + [0], "frames %r" % recs)
    check(all(len(r["labels"]) == 3 and len(r["scores"]) == 3 for r in recs), "not top-3")
    check("most frequent top-1 labels" in err, "no summary: %r" % err)
    print("jsonl: %d lines in %s" % (len(recs), out))


def case_rtsp(ctx):
    args = [ctx.script("rtsp_classify.py"), "--weights", ctx.weights, "--seconds", "20"]
    server = None
    if ctx.has("rtspsrc", "rtpjpegdepay", "rtpjpegpay", "udpsrc", "rtpbin"):
        log_path = os.path.join(ctx.work, "rtsp-server.log")
        log = open(log_path, "wb")  # a file, not a pipe: a chatty server never blocks on it
        server = subprocess.Popen(["/usr/bin/python3", os.path.join(os.path.dirname(__file__),
                                                                   "rtsp_server.py"), "--seconds", "120"],
                                  env=ctx.env, stdout=subprocess.PIPE, stderr=log)
        line = server.stdout.readline().decode().strip()
        if not line.isdigit():
            server.wait(timeout=30)
            with open(log_path, encoding="utf-8", errors="replace") as f:
                err = f.read()
            if server.returncode == SKIP:
                server = None
                print("(no gst-rtsp-server Python bindings: a live videotestsrc replaces the "
                      "network source)")
            else:
                fail("the local RTSP server did not start: %r" % err)
        else:
            args.append("rtsp://127.0.0.1:%s/test" % line)
    else:
        print("(no rtspsrc/RTP plugins: a live videotestsrc replaces the network source)")
    if server is None:
        args.append("--test-source")
    try:
        out, err = ctx.run(args, timeout=120)
    finally:
        if server is not None:
            server.kill()
            server.wait()
    lines = [l for l in out.splitlines() if "result of frame" in l]
    check(len(lines) >= 2, "%d results in 20 s: %r %r" % (len(lines), out, err))
    # Live-safe: frames leave with the latest finished result, never one of a later frame. It is
    # usually an earlier frame's; it is the frame's own when the worker finished before the
    # streaming thread attached the meta (the frame was not held back for it).
    for l in lines:
        m = re.match(r"^ *[0-9.]+ s  frame +(\d+)  result of frame +(\d+)  (.+)$", l)
        check(m and int(m.group(2)) <= int(m.group(1)), "async result line %r" % l)
    m = re.search(r"(\d+) frames, (\d+) results", err)
    check(m and int(m.group(1)) >= len(lines), "summary: %r" % err)
    print("rtsp: %s; %d frames, %d results" % (
        "local RTSP server" if server else "live videotestsrc", int(m.group(1)), len(lines)))


def case_roi(ctx):
    out, err = ctx.run([ctx.script("roi_classify.py"), "--weights", ctx.weights, "--frames", "5"])
    lines = out.splitlines()
    pat = re.compile(r"^frame +(\d+) +[0-9.]+ s  ball 0 at \d+,\d+ \d+x\d+: (.+) \(label_id (\d+)\) "
                     r"confidence ([0-9.]+), efficientnet-b0$")
    got = [pat.match(l) for l in lines]
    check(len(lines) == 5 and all(got), "ROI lines: %r" % out)
    check([int(m.group(1)) for m in got] == list(range(5)), "frames %r" % out)
    check(all(0 <= int(m.group(3)) < 1000 and 0 < float(m.group(4)) <= 1 for m in got), out)
    # The ball moves: its box differs between the first and the last frame.
    check(lines[0].split(": ")[0].split(" at ")[1] != lines[-1].split(": ")[0].split(" at ")[1],
          "the ball did not move: %r" % out)
    clip = ctx.make_clip(frames=3)
    out, err = ctx.run([ctx.script("roi_classify.py"), "--weights", ctx.weights, "--input", clip,
                        "--rois", "grid", "--top-k", "1"])
    cells = [l for l in out.splitlines() if re.search(r" cell \d at \d+,\d+ 80x60: .+ \(label_id \d+\) "
                                                     r"confidence [0-9.]+, efficientnet-b0$", l)]
    check(len(cells) == 3 * 4, "grid: %d classified cells in 3 frames: %r" % (len(cells), out))
    print("roi: ball in 5 frames, 2x2 grid in 3 frames, each ROI classified")


def case_camera(ctx):
    if not ctx.has("efficientnetoverlay"):
        skip("efficientnetoverlay is not built (Pango/Cairo development files)")
    ctx.run([ctx.script("camera_overlay.sh"), "--weights", ctx.weights, "--dry-run"])
    print("camera: --dry-run pipeline ran (videotestsrc is-live=true, fakesink)")


def case_mosaic(ctx):
    Gst = ctx.Gst
    for e, pkg in (("efficientnetoverlay", "the plugin built with Pango/Cairo development files"),
                   ("compositor", "gstreamer1.0-plugins-base"), ("h264parse", "gstreamer1.0-plugins-bad")):
        if not ctx.has(e):
            skip("no %s (%s)" % (e, pkg))
    if not (ctx.has("x264enc") or ctx.has("openh264enc")):
        skip("no H.264 encoder (x264enc: gstreamer1.0-plugins-ugly)")
    out = os.path.join(ctx.work, "mosaic.mp4")
    env = ctx.env
    ctx.env = dict(env, GST_DEBUG="efficientnet:4", GST_DEBUG_NO_COLOR="1")
    try:
        _, err = ctx.run([ctx.script("mosaic.sh"), "--weights", ctx.weights, "--test-sources", "4",
                          "--tile", "160x120", "--frames", str(FRAMES), "--out", out])
    finally:
        ctx.env = env
    check(err.count("loading model") == 1 and err.count("sharing model") == 3,
          "not one shared model: %d loads, %d shares" % (err.count("loading model"), err.count("sharing model")))
    check("4 input(s) in a 2x2 grid" in err, "no grid line: %r" % err[-2000:])
    caps = []
    ctx.gst_run("filesrc location=%s ! qtdemux ! fakesink name=s" % out, "s",
                lambda pad, info: caps.append(pad.get_current_caps().to_string()) or Gst.PadProbeReturn.OK)
    check(caps and caps[0].startswith("video/x-h264") and "width=(int)320" in caps[0] and
          "height=(int)240" in caps[0], "MP4 stream caps: %r" % caps[:1])
    check(FRAMES <= len(caps) <= 2 * FRAMES, "%d frames in the mosaic, %d per input" % (len(caps), FRAMES))
    print("mosaic: %s holds %d H.264 frames of 320x240, one model shared by 4 elements" % (out, len(caps)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["h264", "jsonl", "rtsp", "roi", "camera", "mosaic"])
    ap.add_argument("--root", required=True)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    a.work = os.path.join(a.work, a.case)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    ctx = Ctx(a)
    globals()["case_" + a.case](ctx)


if __name__ == "__main__":
    main()
