#!/usr/bin/python3
"""A local RTSP server for the pipelines tests: serves a live videotestsrc (JPEG over RTP) at
rtsp://127.0.0.1:PORT/test, prints PORT on stdout, and stops by itself after --seconds (or when
killed). Loopback only.

    rtsp_server.py [--seconds 120]

Exit status 77 when gst-rtsp-server's Python bindings (gir1.2-gst-rtsp-server-1.0) are missing.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
try:
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GstRtspServer
except (ValueError, ImportError):
    print("gst-rtsp-server's Python bindings are not installed", file=sys.stderr)
    sys.exit(77)
from gi.repository import GLib, Gst  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=120)
    a = ap.parse_args()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service("0")  # any free port
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch("( videotestsrc is-live=true pattern=ball ! "
                       "video/x-raw,format=I420,width=160,height=120,framerate=15/1 ! jpegenc ! "
                       "rtpjpegpay name=pay0 pt=26 )")
    factory.set_shared(True)
    server.get_mount_points().add_factory("/test", factory)
    if server.attach(None) == 0:
        print("could not start the RTSP server", file=sys.stderr)
        sys.exit(1)
    print(server.get_bound_port(), flush=True)
    loop = GLib.MainLoop()
    GLib.timeout_add_seconds(a.seconds, loop.quit)
    loop.run()


if __name__ == "__main__":
    main()
