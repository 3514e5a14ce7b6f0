"""pipelines/common.py — shared by the Python recipes (rtsp_classify.py, roi_classify.py): the plugin
path, the weights, GStreamer. Not a recipe itself."""
import os
import signal
import subprocess
import sys

# Output piped into head & co.: end quietly, like a C program.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("EFFNET_BUILD", os.path.join(ROOT, "build"))


def die(msg, status=1):
    print("%s: %s" % (os.path.basename(sys.argv[0]), msg), file=sys.stderr)
    sys.exit(status)


def init_gst():
    """GST_PLUGIN_PATH as given, else this checkout's build; returns the Gst module."""
    if not os.environ.get("GST_PLUGIN_PATH"):
        os.environ["GST_PLUGIN_PATH"] = os.path.join(BUILD, "gst-plugin")
    try:
        import gi
        gi.require_version("Gst", "1.0")
        gi.require_version("GstVideo", "1.0")
        from gi.repository import Gst
    except (ImportError, ValueError) as e:
        die("PyGObject with GStreamer is not installed (apt-get install python3-gi "
            "gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0): %s" % e)
    Gst.init(None)
    if Gst.ElementFactory.find("efficientnet") is None:
        die("the efficientnet GStreamer element is not installed (build it with 'ninja -C build', "
            "or set GST_PLUGIN_PATH to the folder holding libgstefficientnet.so)")
    return Gst


def resolve_weights(given):
    """The weights given, else $EFFNET_WEIGHTS, else build/untrained-b0 (made here, UNTRAINED)."""
    w = given or os.environ.get("EFFNET_WEIGHTS")
    if not w:
        w = os.path.join(BUILD, "untrained-b0")
        if not os.path.exists(os.path.join(w, "model.safetensors")):
            r = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "make_untrained_weights.py"), w],
                               stdout=subprocess.DEVNULL)
            if r.returncode != 0:
                die("could not make the untrained weights in %s" % w)
        print("note: UNTRAINED weights (%s): the labels are meaningless; pass real ones with "
              "--weights W or EFFNET_WEIGHTS" % w, file=sys.stderr)
    if not os.path.exists(w):
        die("weights %s: no such file or folder" % w)
    return w


def run_until_done(Gst, pipe, seconds=None):
    """Plays PIPE until EOS, an error, SECONDS (then EOS is sent, so files are finished), or Ctrl-C
    (likewise). Returns the error message, or None."""
    from gi.repository import GLib
    loop = GLib.MainLoop()
    result = {"error": None}

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.EOS:
            loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            result["error"] = err.message
            loop.quit()
        return True

    def stop(*_):
        pipe.send_event(Gst.Event.new_eos())
        # A live source that ignores EOS must not hang us: give up after 5 s.
        GLib.timeout_add_seconds(5, lambda: loop.quit() or False)
        return False

    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    if seconds:
        GLib.timeout_add(int(seconds * 1000), stop)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, 2, lambda: stop() or True)  # SIGINT
    if pipe.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        msg = bus.pop_filtered(Gst.MessageType.ERROR)
        pipe.set_state(Gst.State.NULL)
        return msg.parse_error()[0].message if msg else "the pipeline could not start"
    loop.run()
    pipe.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    return result["error"]
