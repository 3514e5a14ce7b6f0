#!/usr/bin/python3
"""Recipe (d): an RTSP (or other network) stream classified live, mode=async.

    rtspsrc location=URL latency=200 ! decodebin ! videoconvert !
        efficientnet mode=async ! fakesink sync=true

mode=async is what a live source needs: no frame ever waits for the model (the stream keeps its
rate and its latency), each frame leaves with the latest finished result (stale, naming the frame it
was computed on), and frames that arrive while the model is busy are not classified. This prints
one line per new result: the frame's time, the frame the result comes from, the top labels.
--display draws the labels (efficientnetoverlay) in a window instead of printing only.

Needs: the efficientnet plugin, gstreamer1.0-plugins-good (rtspsrc, RTP depayloaders), decoders for
the stream (gstreamer1.0-libav for H.264/H.265), python3-gi; --display: efficientnetoverlay and a
display. --test-source needs nothing but gstreamer1.0-plugins-base.

Usage:
    pipelines/rtsp_classify.py [--weights W] [--seconds N] [--top-k K] [--display] URL
    pipelines/rtsp_classify.py [--weights W] [--seconds N] --test-source
URL: rtsp://... (any URI uridecodebin opens also works, e.g. http://, udp://, through --uri-source).
--test-source: a live videotestsrc (is-live=true) instead of the network, for machines without a
stream (the tests use a local RTSP server when gst-rtsp-server's Python bindings are installed).
--seconds N: stop after N seconds (EOS); default: run until the stream ends or Ctrl-C.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="Classify a live network stream (mode=async).",
                                 epilog="See the header of this file.")
    ap.add_argument("url", nargs="?", help="rtsp://... stream")
    ap.add_argument("--weights", help="weights file or folder (default: $EFFNET_WEIGHTS, else "
                    "build/untrained-b0, UNTRAINED)")
    ap.add_argument("--seconds", type=float, help="stop after this many seconds")
    ap.add_argument("--top-k", type=int, default=3)
    ap.add_argument("--latency", type=int, default=200, help="rtspsrc jitter buffer, ms (200)")
    ap.add_argument("--tcp", action="store_true", help="RTP over the RTSP TCP connection")
    ap.add_argument("--uri-source", action="store_true",
                    help="open URL with uridecodebin instead of rtspsrc (http://, udp://, ...)")
    ap.add_argument("--test-source", action="store_true",
                    help="live videotestsrc instead of the network")
    ap.add_argument("--display", action="store_true", help="draw the labels in a window")
    a = ap.parse_args()
    if not a.test_source and not a.url:
        ap.error("give a URL, or --test-source")
    if a.top_k < 1:
        ap.error("--top-k must be at least 1")

    Gst = common.init_gst()
    weights = common.resolve_weights(a.weights)
    if a.test_source:
        src = ("videotestsrc is-live=true pattern=ball ! "
               "video/x-raw,width=320,height=240,framerate=15/1")
    elif a.uri_source:
        src = "uridecodebin name=src"
    else:
        if Gst.ElementFactory.find("rtspsrc") is None:
            common.die("rtspsrc is not installed (gstreamer1.0-plugins-good)")
        src = "rtspsrc name=src latency=%d%s ! decodebin" % (
            a.latency, " protocols=tcp" if a.tcp else "")
    if a.display:
        if Gst.ElementFactory.find("efficientnetoverlay") is None:
            common.die("--display needs the efficientnetoverlay element (built with Pango/Cairo)")
        sink = "efficientnetoverlay ! videoconvert ! autovideosink"
    else:
        sink = "fakesink sync=true"
    desc = ("%s ! videoconvert ! efficientnet name=net mode=async top-k=%d ! "
            "identity name=tap ! %s" % (src, a.top_k, sink))
    try:
        pipe = Gst.parse_launch(desc)
    except Exception as e:  # GLib.Error: a missing element
        common.die("cannot build the pipeline: %s" % e)
    net = pipe.get_by_name("net")
    net.set_property("weights", weights)
    srcel = pipe.get_by_name("src")
    if srcel is not None:
        srcel.set_property("location" if not a.uri_source else "uri", a.url)

    state = {"last": None, "frames": 0, "results": 0}

    def on_buffer(pad, info):
        buf = info.get_buffer()
        state["frames"] += 1
        meta = buf.get_custom_meta("EfficientNetClassification")
        if meta is None:
            return Gst.PadProbeReturn.OK
        s = meta.get_structure()
        src_frame = s.get_value("source-frame")
        labels = list(s.get_value("top-labels"))
        if not labels or src_frame == state["last"]:
            return Gst.PadProbeReturn.OK  # no result yet, or one already printed
        state["last"] = src_frame
        state["results"] += 1
        scores = list(s.get_value("top-scores"))
        t = buf.pts / Gst.SECOND if buf.pts != Gst.CLOCK_TIME_NONE else float("nan")
        print("%8.3f s  frame %5d  result of frame %5d  %s" % (
            t, state["frames"] - 1, src_frame,
            ", ".join("%s %.3f" % lp for lp in zip(labels, scores))), flush=True)
        return Gst.PadProbeReturn.OK

    pipe.get_by_name("tap").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, on_buffer)
    err = common.run_until_done(Gst, pipe, a.seconds)
    if err:
        common.die(err)
    print("%d frames, %d results (mode=async: frames never wait for the model)" % (
        state["frames"], state["results"]), file=sys.stderr)
    if state["frames"] == 0:
        common.die("no frame arrived")


if __name__ == "__main__":
    main()
