"""What the tools and pipelines tests share: how a check fails or skips, and
running a GStreamer pipeline description to its end in this process."""
import sys

SKIP = 77  # meson's exit status for a skipped test


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(SKIP)


def init_gst():
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    return Gst


def run_to_eos(Gst, desc, probe_on=None, probe=None, timeout_s=300):
    """Runs desc to EOS; probe (if given) watches the buffers into element probe_on's sink pad.
    Fails the test on an error or a timeout."""
    pipe = Gst.parse_launch(desc)
    if probe_on:
        pipe.get_by_name(probe_on).get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(timeout_s * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    check(msg is not None, "pipeline timed out: " + desc)
    if msg.type == Gst.MessageType.ERROR:
        fail("pipeline %s: %s" % (desc, msg.parse_error()[0].message))
