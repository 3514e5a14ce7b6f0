#!/usr/bin/python3
"""Recipe (e): classify regions of interest that an upstream step attached to the frames.

    SOURCE ! videoconvert ! video/x-raw,format=RGB ! identity name=detector  (pad probe: adds ROIs)
        ! efficientnet inference-region=roi-list object-class=ball ! fakesink

Plain GStreamer has no detector that adds GstVideoRegionOfInterestMeta except facedetect
(gstreamer1.0-opencv, ROI type "face"; see pipelines/README.md), so this script plays the detector in
a pad probe: --rois ball finds the bright "ball" of `videotestsrc pattern=ball` (the bounding box of
the pixels whose R, G and B are all above 160), --rois grid cuts each frame into a 2x2 grid. Each
region becomes a GstVideoRegionOfInterestMeta of type "ball" or "cell"; efficientnet classifies all
regions of a frame in one batch and adds a "classification" parameter to each (label, label_id,
confidence, model_name: DL Streamer's field names), which this prints per frame and region.

(A probe cannot add metadata to the buffer it is handed: PyGObject holds a reference, so the buffer
is never writable. The probe pushes a shallow copy (same memory, no pixel copy) with the ROIs and
drops the original.)

Needs: the efficientnet plugin, gstreamer1.0-plugins-base, python3-gi, python3-numpy,
gir1.2-gst-plugins-base-1.0; --input: decoders for the file.

Usage: pipelines/roi_classify.py [--weights W] [--input FILE] [--rois ball|grid] [--frames N]
  default input: 30 frames of videotestsrc pattern=ball (320x240)
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

GRID = 2
BRIGHT = 160


def main():
    ap = argparse.ArgumentParser(description="Classify regions of interest (inference-region=roi-list).",
                                 epilog="See the header of this file.")
    ap.add_argument("--weights", help="weights file or folder (default: $EFFNET_WEIGHTS, else "
                    "build/untrained-b0, UNTRAINED)")
    ap.add_argument("--input", help="video file (default: videotestsrc pattern=ball)")
    ap.add_argument("--rois", choices=["ball", "grid"], default="ball",
                    help="ball: the bright object; grid: a 2x2 grid (default ball)")
    ap.add_argument("--frames", type=int, default=30, help="frames of the test source (30)")
    ap.add_argument("--top-k", type=int, default=3)
    a = ap.parse_args()
    if a.frames < 1 or a.top_k < 1:
        ap.error("--frames and --top-k must be at least 1")
    if a.input and not os.path.isfile(a.input):
        common.die("%s: no such file" % a.input)
    try:
        import numpy as np
    except ImportError:
        common.die("numpy is not installed (python3-numpy)")

    Gst = common.init_gst()
    from gi.repository import GLib, GstVideo
    weights = common.resolve_weights(a.weights)

    if a.input:
        src = "uridecodebin name=src"
    else:
        src = ("videotestsrc num-buffers=%d pattern=ball ! "
               "video/x-raw,width=320,height=240,framerate=30/1" % a.frames)
    roi_type = "ball" if a.rois == "ball" else "cell"
    pipe = Gst.parse_launch(
        "%s ! videoconvert ! video/x-raw,format=RGB ! identity name=detector ! "
        "efficientnet name=net inference-region=roi-list object-class=%s top-k=%d ! "
        "fakesink name=sink" % (src, roi_type, a.top_k))
    pipe.get_by_name("net").set_property("weights", weights)
    if a.input:
        pipe.get_by_name("src").set_property("uri", Gst.filename_to_uri(os.path.abspath(a.input)))

    roi_api = GstVideo.VideoRegionOfInterestMeta.get_info().api
    copy_flags = (Gst.BufferCopyFlags.FLAGS | Gst.BufferCopyFlags.TIMESTAMPS |
                  Gst.BufferCopyFlags.META | Gst.BufferCopyFlags.MEMORY)

    def find_rois(buf, caps):
        info = GstVideo.VideoInfo.new_from_caps(caps)
        w, h = info.width, info.height
        if a.rois == "grid":
            cw, ch = w // GRID, h // GRID
            return [(c * cw, r * ch, cw, ch) for r in range(GRID) for c in range(GRID)]
        ok, m = buf.map(Gst.MapFlags.READ)
        if not ok:
            return []
        try:
            stride = info.stride[0]
            rows = np.frombuffer(m.data, dtype=np.uint8, count=stride * h).reshape(h, stride)
            rgb = rows[:, :w * 3].reshape(h, w, 3)
            ys, xs = np.nonzero(rgb.min(axis=2) > BRIGHT)
        finally:
            buf.unmap(m)
        if len(xs) == 0:
            return []
        x0, x1, y0, y1 = int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max())
        return [(x0, y0, x1 - x0 + 1, y1 - y0 + 1)]

    def detector(pad, info):
        buf = info.get_buffer()
        if buf.get_meta(roi_api) is not None:
            return Gst.PadProbeReturn.OK  # our own copy, coming back through this probe
        rois = find_rois(buf, pad.get_current_caps())
        if not rois:
            return Gst.PadProbeReturn.OK
        out = buf.copy_region(copy_flags, 0, buf.get_size())
        for i, (x, y, w, h) in enumerate(rois):
            meta = GstVideo.buffer_add_video_region_of_interest_meta(out, roi_type, x, y, w, h)
            meta.id = i
        pad.push(out)
        return Gst.PadProbeReturn.DROP

    counts = {"frames": 0, "rois": 0}

    def printer(pad, info):
        buf = info.get_buffer()
        n = counts["frames"]
        counts["frames"] += 1
        t = buf.pts / Gst.SECOND if buf.pts != Gst.CLOCK_TIME_NONE else float("nan")
        i = 0
        while True:
            roi = GstVideo.buffer_get_video_region_of_interest_meta_id(buf, i)
            if roi is None:
                break
            i += 1
            s = roi.get_param("classification")
            where = "%s %d at %d,%d %dx%d" % (GLib.quark_to_string(roi.roi_type), roi.id,
                                              roi.x, roi.y, roi.w, roi.h)
            if s is None:
                print("frame %3d  %6.3f s  %s: not classified" % (n, t, where))
                continue
            counts["rois"] += 1
            print("frame %3d  %6.3f s  %s: %s (label_id %d) confidence %.4f, %s" % (
                n, t, where, s.get_string("label"), s.get_value("label_id"),
                s.get_value("confidence"), s.get_string("model_name")), flush=True)
        if i == 0:
            print("frame %3d  %6.3f s  no region" % (n, t))
        return Gst.PadProbeReturn.OK

    pipe.get_by_name("detector").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, detector)
    pipe.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, printer)
    err = common.run_until_done(Gst, pipe)
    if err:
        common.die(err)
    print("%d frames, %d regions classified" % (counts["frames"], counts["rois"]), file=sys.stderr)
    if counts["rois"] == 0:
        common.die("no region was classified")


if __name__ == "__main__":
    main()
