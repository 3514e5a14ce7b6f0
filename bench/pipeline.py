#!/usr/bin/env python3
"""Pipeline overhead of the efficientnet element: preparing frames, handing them over, metadata.

Each round measures, one right after the other on the same machine:
  E1 the engine alone: `effnet bench` on the same weights, same threads (median ms per image)
  A  videotestsrc ! video/x-raw,format=F,width=W,height=H ! efficientnet mode=sync ! fakesink
     (once per resampling mode: accurate, the default, and fast): median ms between frames at the sink
  B  the same pipeline without efficientnet (what the source and sink cost alone)
  E2 the engine alone again
and computes overhead = (A - B) - E per frame, as a share of E = (E1 + E2) / 2.

On a shared machine the speed of the whole machine changes from one second to the next — here the
engine alone took 5.8 ms and 9.5 ms per image in consecutive seconds — by more than the overhead
being measured, and subtracting measurements taken at different speeds gives nonsense. Rounds are
short (about two seconds), and a round counts only when E1 and E2 agree within 5 % (the machine kept
its speed through it); the table gives the median over the rounds that count, with the spread of their
middle half.

--rois N classifies N regions of 200x400 per frame instead (inference-region=roi-list; the regions
are attached by a pad probe, so a detector costs nothing) and compares with `effnet bench --batch N`:
the overhead is then the element's cost for all N regions of a frame against the batch's inference.

    /usr/bin/python3 bench/pipeline.py [--size 1920x1080] [--format NV12] [--rois 0] [--weights W]
                                       [--threads 2] [--frames 60] [--rounds 40]

Needs the plugin (build/gst-plugin) and python3-gi / gir1.2-gstreamer-1.0 (GstVideo for --rois).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WARMUP = 10


def gst():
    os.environ.setdefault("GST_PLUGIN_PATH", os.path.join(ROOT, "build", "gst-plugin"))
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstVideo", "1.0")
    from gi.repository import Gst, GstVideo
    Gst.init(None)
    return Gst, GstVideo


def add_rois(Gst, GstVideo, pipe, n, w, h):
    """Attaches n regions of 200x400 (clamped to the frame) to every buffer leaving the source. A buffer
    seen from Python is never writable, so the probe pushes a shallow copy (same memory) with the
    regions, as pipelines/roi_classify.py does."""
    src = pipe.get_by_name("src").get_static_pad("src")
    rects = [((i * 97) % max(1, w - 200), (i * 53) % max(1, h - 400), min(200, w), min(400, h)) for i in range(n)]
    roi_api = GstVideo.VideoRegionOfInterestMeta.get_info().api
    flags = Gst.BufferCopyFlags.FLAGS | Gst.BufferCopyFlags.TIMESTAMPS | Gst.BufferCopyFlags.META | \
        Gst.BufferCopyFlags.MEMORY

    def probe(pad, info):
        buf = info.get_buffer()
        if buf.get_meta(roi_api) is not None:
            return Gst.PadProbeReturn.OK  # our own copy, coming back through this probe
        out = buf.copy_region(flags, 0, buf.get_size())
        for x, y, rw, rh in rects:
            GstVideo.buffer_add_video_region_of_interest_meta(out, "object", x, y, rw, rh)
        pad.push(out)
        return Gst.PadProbeReturn.DROP
    src.add_probe(Gst.PadProbeType.BUFFER, probe)


def time_pipeline(Gst, GstVideo, desc, frames, rois=0, size=(0, 0)):
    """Median ms between consecutive frames at the sink, after WARMUP frames."""
    pipe = Gst.parse_launch(desc % frames)
    if rois:
        add_rois(Gst, GstVideo, pipe, rois, *size)
    sink = pipe.get_by_name("sink")
    stamps = []
    sink.connect("handoff", lambda *a: stamps.append(time.perf_counter()))
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(600 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    if msg is None or msg.type == Gst.MessageType.ERROR:
        err = msg.parse_error()[0].message if msg else "timed out"
        sys.exit("pipeline failed: %s\n  %s" % (err, desc))
    if len(stamps) != frames:
        sys.exit("expected %d frames at the sink, got %d" % (frames, len(stamps)))
    return statistics.median((b - a) * 1000.0 for a, b in zip(stamps[WARMUP:], stamps[WARMUP + 1:]))


def engine_ms(effnet, weights, threads, batch, runs):
    """ms for one batch (one image when batch is 1)."""
    out = subprocess.run([effnet, "bench", "--weights", weights, "--threads", str(threads), "--batch", str(batch),
                          "--runs", str(runs)], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"ms_per_image=([0-9.]+)", out).group(1)) * batch


def spread(values):
    q = statistics.quantiles(values, n=4) if len(values) >= 2 else [values[0]] * 3
    return statistics.median(values), q[0], q[2]


def cpu_model():
    """'AMD EPYC (family 25 model 17, AVX-512)': the name, which alone may not tell the generation, and
    the widest vector ISA the engine uses."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                info.setdefault(key.strip(), value.strip())
    except OSError:
        return "unknown CPU"
    flags = info.get("flags", "").split()
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return "%s (family %s model %s, %s)" % (info.get("model name", "unknown CPU"), info.get("cpu family", "?"),
                                           info.get("model", "?"), isa)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", default=os.path.join(ROOT, "build", "untrained-b0"))
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--format", default="NV12")
    ap.add_argument("--rois", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--effnet", default=os.path.join(ROOT, "build", "nn", "effnet"))
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    if not os.path.exists(a.weights):
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_untrained_weights.py"), a.weights],
                       check=True)
    Gst, GstVideo = gst()
    frames = a.frames if not a.rois else max(WARMUP + 10, a.frames // 3)
    src = ("videotestsrc name=src num-buffers=%%d ! video/x-raw,format=%s,width=%d,height=%d,framerate=30/1"
           % (a.format, w, h))
    sink = "fakesink name=sink sync=false signal-handoffs=true"
    region = " inference-region=roi-list" if a.rois else ""
    modes = ("accurate", "fast")
    with_el = {m: "%s ! efficientnet weights=%s num-threads=%d mode=sync resampling=%s%s ! %s"
               % (src, a.weights, a.threads, m, region, sink) for m in modes}
    without = "%s ! %s" % (src, sink)
    batch = max(1, a.rois)
    A, B, E, share, kept = {m: [] for m in modes}, [], [], {m: [] for m in modes}, 0
    runs = max(10, 60 // batch)
    for r in range(a.rounds):
        e1 = engine_ms(a.effnet, a.weights, a.threads, batch, runs)
        a_ms = {m: time_pipeline(Gst, GstVideo, with_el[m], frames, a.rois, (w, h)) for m in modes}
        b_ms = time_pipeline(Gst, GstVideo, without, frames, a.rois, (w, h))
        e2 = engine_ms(a.effnet, a.weights, a.threads, batch, runs)
        e = (e1 + e2) / 2
        steady = abs(e1 - e2) <= 0.05 * e
        print("round %d: engine %.3f / %.3f ms, pipeline %s, without element %.3f ms: %s"
              % (r + 1, e1, e2, ", ".join("%s %.3f" % (m, a_ms[m]) for m in modes), b_ms,
                 "overhead " + ", ".join("%s %.1f %%" % (m, 100.0 * (a_ms[m] - b_ms - e) / e) for m in modes)
                 if steady else "machine changed speed, not counted"), file=sys.stderr)
        if not steady:
            continue
        kept += 1
        E.append(e)
        B.append(b_ms)
        for m in modes:
            A[m].append(a_ms[m])
            share[m].append(100.0 * (a_ms[m] - b_ms - e) / e)
    if kept < 3:
        sys.exit("only %d of %d rounds ran at a steady speed: the machine is too busy to measure" % (kept, a.rounds))
    what = "%d regions of 200x400 per frame, batch of %d" % (a.rois, batch) if a.rois else "whole frames"
    print("%s, %s, %d cores; %s %dx%d, %s, B0, sync, %d threads; %d of %d rounds steady (medians over them, "
          "[middle half])" % (time.strftime("%Y-%m-%d"), cpu_model(), os.cpu_count(), a.format, w, h, what,
                              a.threads, kept, a.rounds))
    print()
    print("| measure | ms per frame |\n|---|---|")
    print("| engine alone (`effnet bench%s`) | %.3f |" % (" --batch %d" % batch if a.rois else "",
                                                        statistics.median(E)))
    print("| pipeline without the element | %.3f |" % statistics.median(B))
    for m in modes:
        pct, plo, phi = spread(share[m])
        print("| pipeline with efficientnet resampling=%s | %.3f |" % (m, statistics.median(A[m])))
        print("| **element overhead, resampling=%s** | **%.1f %%** of inference [%.1f, %.1f] |" % (m, pct, plo, phi))

if __name__ == "__main__":
    main()
