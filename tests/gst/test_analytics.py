#!/usr/bin/env python3
"""The efficientnet results read from Python as GStreamer's analytics metadata
(GStreamer >= 1.24), as gst-plugin/README.md shows: the buffer's
GstAnalytics.RelationMeta holds one ClsMtd whose confidences and class names
are the EfficientNetClassification meta's top-scores and top-labels."""
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstAnalytics", "1.0")
from gi.repository import GLib, Gst, GstAnalytics  # noqa: E402


def classifications(buf):
    """[(label, confidence), ...] of each ClsMtd of the buffer."""
    rmeta = GstAnalytics.buffer_get_analytics_relation_meta(buf)
    if rmeta is None:
        return []
    return [[(GLib.quark_to_string(mtd.get_quark(i)), mtd.get_level(i)) for i in range(mtd.get_length())]
            for mtd in rmeta if isinstance(mtd, GstAnalytics.ClsMtd)]


def main():
    Gst.init(None)
    weights = os.environ["EFFNET_TEST_WEIGHTS"]
    pipeline = Gst.parse_launch(
        "videotestsrc num-buffers=3 ! efficientnet weights=%s mode=sync top-k=4 ! fakesink name=sink" % weights)
    seen = []

    def probe(pad, info):
        buf = info.get_buffer()
        s = buf.get_custom_meta("EfficientNetClassification").get_structure()
        seen.append((classifications(buf), list(s.get_value("top-labels")), list(s.get_value("top-scores"))))
        return Gst.PadProbeReturn.OK

    pipeline.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg is None or msg.type != Gst.MessageType.EOS:
        sys.exit("pipeline failed: %s" % (msg.parse_error()[0].message if msg else "timeout"))
    if len(seen) != 3:
        sys.exit("expected 3 buffers, got %d" % len(seen))
    for i, (cls, labels, scores) in enumerate(seen):
        if len(cls) != 1:
            sys.exit("frame %d: %d ClsMtd, expected 1" % (i, len(cls)))
        if [c[0] for c in cls[0]] != labels or len(labels) != 4:
            sys.exit("frame %d: ClsMtd classes %r, meta top-labels %r" % (i, cls[0], labels))
        if any(abs(c[1] - s) > 1e-6 for c, s in zip(cls[0], scores)):
            sys.exit("frame %d: ClsMtd levels %r, meta top-scores %r" % (i, cls[0], scores))
    print("ok: %s" % [c[0][0] for c, _, _ in seen])


if __name__ == "__main__":
    main()
