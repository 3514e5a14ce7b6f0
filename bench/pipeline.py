#!/usr/bin/env python3
"""Pipeline overhead of the efficientnet element: conversion, scaling, metadata.

Measures, in interleaved rounds on the same machine:
  A  videotestsrc ! video/x-raw,format=NV12,width=1920,height=1080 ! efficientnet mode=sync ! fakesink
     once per resampling mode of the element (accurate, the default, and fast)
  B  the same pipeline without efficientnet (what the source and sink cost alone)
  E  the engine alone: `effnet bench` on the same weights, same threads (ms per image)
and reports overhead = (A - B) - E per frame, as a fraction of E (target: under 10 %).
Frames are timed at the sink between frame WARMUP and the last one, so start-up and model
loading are not counted.

    /usr/bin/python3 bench/pipeline.py [--weights W] [--threads 2] [--frames 300] [--rounds 3]

Needs the plugin (build/gst-plugin) and python3-gi / gir1.2-gstreamer-1.0.
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
WARMUP = 20


def gst():
    os.environ.setdefault("GST_PLUGIN_PATH", os.path.join(ROOT, "build", "gst-plugin"))
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    return Gst


def time_pipeline(Gst, desc, frames):
    """ms per frame between frame WARMUP and the last, measured at the sink."""
    pipe = Gst.parse_launch(desc)
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
    return (stamps[-1] - stamps[WARMUP]) * 1000.0 / (frames - 1 - WARMUP)


def engine_ms(effnet, weights, threads):
    out = subprocess.run([effnet, "bench", "--weights", weights, "--threads", str(threads)],
                         check=True, capture_output=True, text=True).stdout
    return float(re.search(r"ms_per_image=([0-9.]+)", out).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", default=os.path.join(ROOT, "build", "untrained-b0"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--effnet", default=os.path.join(ROOT, "build", "nn", "effnet"))
    a = ap.parse_args()
    if not os.path.exists(a.weights):
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_untrained_weights.py"), a.weights],
                       check=True)
    Gst = gst()
    src = ("videotestsrc num-buffers=%d ! video/x-raw,format=NV12,width=1920,height=1080,framerate=30/1"
           % a.frames)
    sink = "fakesink name=sink sync=false signal-handoffs=true"
    modes = ("accurate", "fast")
    with_el = {m: "%s ! efficientnet weights=%s num-threads=%d mode=sync resampling=%s ! %s"
               % (src, a.weights, a.threads, m, sink) for m in modes}
    without = "%s ! %s" % (src, sink)
    A, B, E = {m: [] for m in modes}, [], []
    for r in range(a.rounds):
        for m in modes:
            A[m].append(time_pipeline(Gst, with_el[m], a.frames))
        B.append(time_pipeline(Gst, without, a.frames))
        E.append(engine_ms(a.effnet, a.weights, a.threads))
        print("round %d: pipeline %s ms/frame, without element %.3f, engine %.3f ms/image"
              % (r + 1, ", ".join("%s %.3f" % (m, A[m][-1]) for m in modes), B[-1], E[-1]), file=sys.stderr)
    b_ms, e_ms = statistics.median(B), statistics.median(E)
    print("| measure (NV12 1920x1080, B0, sync, %d threads) | ms per frame | fps |\n|---|---|---|" % a.threads)
    print("| engine alone (`effnet bench`) | %.3f | %.1f |" % (e_ms, 1000.0 / e_ms))
    print("| pipeline without the element | %.3f | %.1f |" % (b_ms, 1000.0 / b_ms))
    for m in modes:
        a_ms = statistics.median(A[m])
        over = a_ms - b_ms - e_ms
        print("| pipeline with efficientnet resampling=%s | %.3f | %.1f |" % (m, a_ms, 1000.0 / a_ms))
        print("| element overhead, resampling=%s (conversion, scaling, metadata) | %.3f (%.1f %% of inference) | |"
              % (m, over, 100.0 * over / e_ms))


if __name__ == "__main__":
    main()
