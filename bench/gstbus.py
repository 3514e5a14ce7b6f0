"""What bench/soak.py and bench/streams.py share: loading GStreamer with our plugin, and reading a
pipeline's bus (the efficientnet element's per-frame messages, warnings, errors)."""
import os

# the element's source-frame when a frame carries no result yet (gst-plugin/README.md)
NO_FRAME = 2**64 - 1


def load_gst(build):
    """Gst, initialized, with build/gst-plugin on the plugin path unless GST_PLUGIN_PATH is set.
    Raises RuntimeError with a sentence when the efficientnet element is not found."""
    os.environ.setdefault("GST_PLUGIN_PATH", os.path.join(build, "gst-plugin"))
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    if Gst.ElementFactory.find("efficientnet") is None:
        raise RuntimeError("no efficientnet element (GST_PLUGIN_PATH=%s); build it first (ninja -C build)"
                           % os.environ["GST_PLUGIN_PATH"])
    return Gst


def drain(Gst, bus, on_result=None, on_warning=None):
    """Reads every pending message: on_result(structure) for each of the efficientnet element's
    per-frame messages, on_warning(source name, text) for warnings. Returns None once the bus is
    empty, "eos" at the end of the stream, or an error sentence."""
    types = Gst.MessageType.EOS | Gst.MessageType.ERROR | Gst.MessageType.WARNING
    if on_result is not None:
        types |= Gst.MessageType.ELEMENT
    while True:
        msg = bus.pop_filtered(types)
        if msg is None:
            return None
        if msg.type == Gst.MessageType.ELEMENT:
            st = msg.get_structure()
            if st is not None and st.has_name("efficientnet"):
                on_result(st)
        elif msg.type == Gst.MessageType.WARNING:
            w, _ = msg.parse_warning()
            if on_warning is not None:
                on_warning(msg.src.get_name(), w.message)
        elif msg.type == Gst.MessageType.EOS:
            return "eos"
        else:
            err, dbg = msg.parse_error()
            return "error from %s: %s (%s)" % (msg.src.get_name(), err.message, dbg)
