#!/usr/bin/env python3
"""Classify a video clip with the efficientnet element and print the labels.

    /usr/bin/python3 scripts/classify_clip.py CLIP WEIGHTS [--every N]

Runs  filesrc ! decodebin ! videoconvert ! efficientnet ! fakesink  and prints, for
every Nth frame, its time and top-3 labels (from the EfficientNetClassification meta),
then the labels seen most often over the clip. Needs GST_PLUGIN_PATH to hold the plugin.
"""
import argparse
import collections
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("clip")
    ap.add_argument("weights")
    ap.add_argument("--every", type=int, default=10, help="print every Nth frame (default 10)")
    a = ap.parse_args()
    Gst.init(None)
    pipe = Gst.parse_launch(
        "filesrc name=src ! decodebin ! videoconvert ! efficientnet name=net top-k=3 ! fakesink name=sink")
    pipe.get_by_name("src").set_property("location", a.clip)
    pipe.get_by_name("net").set_property("weights", a.weights)
    counts, frames = collections.Counter(), [0]

    def on_buffer(pad, info):
        buf = info.get_buffer()
        meta = buf.get_custom_meta("EfficientNetClassification")
        if meta is not None:
            s = meta.get_structure()
            labels, scores = list(s.get_value("top-labels")), list(s.get_value("top-scores"))
            if labels:
                counts[labels[0]] += 1
            if frames[0] % a.every == 0:
                top = ", ".join("%s %.2f" % (l, p) for l, p in zip(labels, scores))
                print("%7.2f s  frame %4d  %s" % (buf.pts / Gst.SECOND, frames[0], top))
        frames[0] += 1
        return Gst.PadProbeReturn.OK

    pipe.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_buffer)
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    if msg.type == Gst.MessageType.ERROR:
        err, debug = msg.parse_error()
        sys.exit("classify_clip: %s" % err.message)
    print("%d frames; most frequent labels: %s" % (
        frames[0], ", ".join("%s (%d)" % kv for kv in counts.most_common(3))))


if __name__ == "__main__":
    main()
