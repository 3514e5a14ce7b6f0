"""GStreamer for the frame-path tests: a registry of the test's own, and the elements it needs."""
import os


def load_gst(out, elements):
    """(Gst, GstVideo), initialized with a registry in `out`; raises when gi, a typelib or one of
    `elements` is missing (the caller skips what needs GStreamer)."""
    os.environ.setdefault("GST_REGISTRY_1_0", os.path.join(out, "gst-registry.bin"))
    os.environ.setdefault("GST_REGISTRY", os.environ["GST_REGISTRY_1_0"])
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstVideo", "1.0")
    from gi.repository import Gst, GstVideo
    Gst.init(None)
    for e in elements:
        if not Gst.ElementFactory.find(e):
            raise RuntimeError("GStreamer element %s not found" % e)
    return Gst, GstVideo
