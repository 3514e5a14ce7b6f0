#!/usr/bin/env python3
"""The efficientnet metadata read from Python, as gst-plugin/README.md shows:
buf.get_custom_meta("EfficientNetClassification").get_structure()."""
import os
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def main():
    Gst.init(None)
    weights = os.environ["EFFNET_TEST_WEIGHTS"]
    pipeline = Gst.parse_launch(
        "videotestsrc num-buffers=3 ! efficientnet weights=%s ! fakesink name=sink" % weights)
    results = []

    def probe(pad, info):
        buf = info.get_buffer()
        meta = buf.get_custom_meta("EfficientNetClassification")
        s = meta.get_structure()
        ok, class_id = s.get_int("class-id")
        ok2, source = s.get_uint64("source-frame")
        results.append((s.get_string("label"), class_id, s.get_value("stale"),
                        source, list(s.get_value("top-scores"))))
        return Gst.PadProbeReturn.OK

    pipeline.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(60 * Gst.SECOND,
                                                Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg is None or msg.type != Gst.MessageType.EOS:
        sys.exit("pipeline failed: %s" % (msg.parse_error()[0].message if msg else "timeout"))
    if len(results) != 3:
        sys.exit("expected 3 buffers, got %d" % len(results))
    for i, (label, class_id, stale, source, scores) in enumerate(results):
        if not label or not 0 <= class_id < 1000 or stale or source != i or len(scores) != 5:
            sys.exit("frame %d: unexpected result %r" % (i, results[i]))
        if sorted(scores, reverse=True) != scores:
            sys.exit("frame %d: scores not best first: %r" % (i, scores))
    print("ok: %s" % [r[:2] for r in results])


if __name__ == "__main__":
    main()
