#!/usr/bin/python3
"""Soak tests of the efficientnet element: memory growth and liveness over long runs.

Run by scripts/soak.sh (which makes the weights and prints the machine); by hand:

  /usr/bin/python3 bench/soak.py frames --weights DIR [--frames 100000] [--sample-every N]
  /usr/bin/python3 bench/soak.py live   --weights DIR [--streams 8] [--minutes 10] [--sample-seconds S]

frames: one pipeline, not live, sync mode, as fast as it goes:
    videotestsrc num-buffers=N pattern=ball ! video/x-raw,format=NV12,width=320,height=240
      ! efficientnet mode=sync ! fakesink sync=false
  The main thread reads the sink's last buffer (`last-sample`) every --poll-ms (5): videotestsrc
  numbers its buffers, and every buffer read must carry the fresh result of its own frame (stale
  FALSE, source-frame = its number). VmRSS of this process is read at the first poll at or past
  each multiple of N frames (default frames/10). The first sample (after N frames) is the warm-up
  baseline; PASS when every later sample is less than --max-growth-mb (1.0 MiB) above it, the
  last frame (N-1) reached the sink, and the run ended with EOS.
  No Python code runs in GStreamer's threads: a Python pad probe called from a streaming thread
  grew CPython's own heap (sys.getallocatedblocks) by about one block, ~190 bytes of RSS, per call
  when the calls came tens of milliseconds apart (with or without the element; gst-launch-1.0
  running the element stayed flat), which would be counted against the element.

live: S pipelines in this process, all naming the same weights (one shared model):
    videotestsrc is-live=true pattern=ball ! video/x-raw,format=NV12,width=640,height=480,framerate=30/1
      ! efficientnet mode=async ! fakesink sync=true
  with post-messages=true: the element posts a message per frame, read off each bus by the main
  thread. Every --sample-seconds (default 30, or a quarter of the run when it is shorter than 2
  minutes) it prints each stream's frames/s and classified frames/s (new `source-frame` values:
  fresh results reaching the stream) and VmRSS. PASS when: no stream goes 10 s
  (--stall-seconds) without a frame (the watchdog; on a stall it writes every thread's stack
  with gdb, when there is one, and exits 3), every stream delivers frames and new results in
  every interval, RSS from the 2nd sample to the end stays less than --max-growth-mb (2.0 MiB)
  above the 2nd sample, and each pipeline, stopped one after the other while the others play,
  stops (PLAYING -> NULL) within 30 s (--stop-seconds).

Exit status: 0 pass, 1 criterion failed, 2 usage or setup error, 3 watchdog (stall or hang).
"""
import argparse
import faulthandler
import os
import subprocess
import sys
import threading
import time

from gstbus import NO_FRAME, drain, load_gst

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def gst(build):
    try:
        return load_gst(build)
    except RuntimeError as e:
        sys.exit("soak.py: %s" % e)


def status_kb(field, pid="self"):
    """A field of /proc/PID/status in kB (VmRSS, VmHWM), or -1."""
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def mb(kb):
    return kb / 1024.0


class Watchdog:
    """A thread that, when `deadline` passes, says why, writes every thread's native stack (gdb) and
    kills the process with status 3. Python threads only need the GIL, which GStreamer calls release,
    so it fires even while the main thread is blocked in set_state(). faulthandler is the backstop if
    the GIL itself is stuck."""

    def __init__(self, stacks_path):
        self.stacks_path = stacks_path
        self.lock = threading.Lock()
        self.deadline = None
        self.why = ""
        self.backstop = -1e9
        threading.Thread(target=self._run, daemon=True).start()

    def arm(self, seconds, why):
        now = time.monotonic()
        with self.lock:
            self.deadline = now + seconds
            self.why = why
        # faulthandler starts a thread on each call: re-armed at most once a second.
        if now - self.backstop >= 1.0:
            faulthandler.dump_traceback_later(seconds + 30, exit=True)
            self.backstop = now

    def fire(self, why):
        print("\nsoak.py: WATCHDOG: %s" % why, flush=True)
        dump_stacks(self.stacks_path)
        os._exit(3)

    def _run(self):
        while True:
            time.sleep(0.5)
            with self.lock:
                late = self.deadline is not None and time.monotonic() > self.deadline
                why = self.why
            if late:
                self.fire(why)


def dump_stacks(path):
    if not path:
        return
    try:
        with open(path, "w") as f:
            subprocess.run(["gdb", "-p", str(os.getpid()), "-batch", "-nx",
                            "-ex", "thread apply all bt"],
                           stdout=f, stderr=subprocess.STDOUT, timeout=120)
        print("soak.py: every thread's stack: %s" % path, flush=True)
    except (OSError, subprocess.SubprocessError) as e:
        print("soak.py: could not write the threads' stacks (%s)" % e, flush=True)


def check_bus(Gst, pipe, name):
    """Pops the pipeline's pending messages; returns 'eos', an error sentence, or None."""
    return drain(Gst, pipe.get_bus(), on_warning=lambda source, text: print(
        "soak.py: %s: warning from %s: %s" % (name, source, text), flush=True))


# ------------------------------------------------------------------------------------------ frames

def buffer_result(buf):
    """(source-frame, stale) of a buffer's EfficientNetClassification meta, or None."""
    meta = buf.get_custom_meta("EfficientNetClassification")
    if meta is None:
        return None
    s = meta.get_structure()
    return s.get_uint64("source-frame")[1], s.get_boolean("stale")[1]


def run_frames(args):
    Gst = gst(args.build)
    n, every = args.frames, args.sample_every or max(1, args.frames // 10)
    desc = ("videotestsrc name=src num-buffers=%d pattern=ball ! "
            "video/x-raw,format=NV12,width=%d,height=%d,framerate=30/1 ! "
            "efficientnet name=nn weights=\"%s\" mode=sync num-threads=%d ! fakesink name=sink sync=false"
            % (n, args.width, args.height, args.weights, args.threads))
    print("pipeline: %s" % desc, flush=True)
    pipe = Gst.parse_launch(desc)
    sink = pipe.get_by_name("sink")
    dog = Watchdog(args.stacks)

    # No Python code runs in GStreamer's threads (see the module's help: a Python pad probe grew
    # CPython's heap with every call). The main thread polls the sink's last buffer every
    # --poll-ms instead: videotestsrc numbers its buffers (offset), and the meta must be the fresh
    # result of that very frame. A sample is taken at the first poll at or past each multiple of N.
    samples = []  # (frames, rss kB, seconds since the first frame)
    checked, bad = 0, []
    last_frame, last_change = -1, time.monotonic()
    t0 = None
    rss_before = status_kb("VmRSS")
    t_start = time.monotonic()
    dog.arm(args.stall_seconds + 60, "the pipeline did not start within %d s" % (args.stall_seconds + 60))
    if pipe.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        print("soak.py: the pipeline failed to start: %s" % check_bus(Gst, pipe, "frames"))
        return 2
    end = None
    next_mark = every
    poll = args.poll_ms / 1000.0
    while True:
        sample = sink.get_property("last-sample")
        now = time.monotonic()
        if sample is not None:
            buf = sample.get_buffer()
            frame = buf.offset
            if frame != last_frame:
                if t0 is None:
                    t0 = now
                last_frame, last_change = frame, now
                res = buffer_result(buf)
                checked += 1
                if res is None or res[0] != frame or res[1]:
                    bad.append((frame, res))
                if frame + 1 >= next_mark:
                    samples.append((frame + 1, status_kb("VmRSS"), now - t0))
                    print("  %d frames, RSS %.2f MiB, %.1f s" % (frame + 1, mb(samples[-1][1]), now - t0), flush=True)
                    while next_mark <= frame + 1:
                        next_mark += every
            del sample, buf
        if end is not None:
            break
        end = check_bus(Gst, pipe, "frames")  # one more poll after EOS: the last frame
        if end is None:
            stalled = now - last_change
            if stalled > args.stall_seconds:
                dog.fire("no new frame at the sink for %.1f s after frame %d" % (stalled, last_frame))
            dog.arm(args.stall_seconds + 5, "the soak's main loop stopped for %d s" % (args.stall_seconds + 5))
            time.sleep(poll)
    dog.arm(30, "PLAYING -> NULL took more than 30 s")
    pipe.set_state(Gst.State.NULL)
    dog.deadline = None
    faulthandler.cancel_dump_traceback_later()
    wall = time.monotonic() - t_start

    print()
    print("RSS before the pipeline started: %.1f MiB" % mb(rss_before))
    print()
    print("| frames | RSS MiB | seconds | ms/frame since previous | change vs baseline MiB |")
    print("|---:|---:|---:|---:|---:|")
    base = samples[0][1] if samples else 0
    prev = (0, 0.0)
    for f, kb, secs in samples:
        rate = (secs - prev[1]) * 1000.0 / (f - prev[0]) if f > prev[0] else 0.0
        print("| %d | %.2f | %.1f | %.2f | %+.2f |" % (f, mb(kb), secs, rate, mb(kb - base)))
        prev = (f, secs)
    print()

    fails = []
    if end != "eos":
        fails.append("the pipeline ended with %s" % end)
    if last_frame + 1 != n:
        fails.append("the last frame at the sink was frame %d, expected %d" % (last_frame, n - 1))
    print("%d polled frames checked: %d without their own fresh result%s" % (
        checked, len(bad), (" (first: frame %d, meta %r)" % bad[0]) if bad else ""))
    if bad:
        fails.append("%d polled frames without their own fresh result" % len(bad))
    if len(samples) >= 2:
        peak = max(samples[1:], key=lambda x: x[1])
        growth = mb(peak[1] - base)
        print("baseline: the sample at %d frames (%.2f MiB); largest later sample: %.2f MiB at %d frames "
              "(%+.2f MiB); last: %+.2f MiB" % (samples[0][0], mb(base), mb(peak[1]), peak[0], growth,
                                               mb(samples[-1][1] - base)))
        if growth >= args.max_growth_mb:
            fails.append("RSS grew %.2f MiB after warm-up (limit %.2f MiB)" % (growth, args.max_growth_mb))
    else:
        fails.append("fewer than 2 RSS samples (frames %d, sample every %d)" % (n, every))
    if samples and samples[-1][2] > 0:
        f, _, secs = samples[-1]
        print("%d frames in %.1f s from the first frame (%.2f ms/frame, %.1f frames/s); stage wall time %.1f s"
              % (f, secs, 1000.0 * secs / f, f / secs, wall))
    for f in fails:
        print("FAIL: %s" % f)
    print("frames soak: %s" % ("PASS" if not fails else "FAIL"), flush=True)
    return 0 if not fails else 1


# ------------------------------------------------------------------------------------------ live

class Stream:
    """One live pipeline. Its element posts a message per frame (post-messages=true) and the main
    thread reads them off the bus: every frame and every new result is counted, and no Python code
    runs in GStreamer's threads (see run_frames)."""

    def __init__(self, Gst, i, args):
        self.name = "s%d" % i
        desc = ("videotestsrc is-live=true pattern=ball ! "
                "video/x-raw,format=NV12,width=%d,height=%d,framerate=%d/1 ! "
                "efficientnet name=nn weights=\"%s\" mode=async num-threads=%d post-messages=true ! "
                "fakesink name=sink sync=true"
                % (args.width, args.height, args.fps, args.weights, args.threads))
        self.desc = desc
        self.pipe = Gst.parse_launch(desc)
        self.pipe.set_name(self.name)
        self.nn = self.pipe.get_by_name("nn")
        self.bus = self.pipe.get_bus()
        self.Gst = Gst
        self.buffers = 0
        self.results = 0          # distinct source-frame values seen (new results)
        self.last_source = None
        self.last_buffer = None   # monotonic time the last frame's message was read
        self.mark = (0, 0)        # (buffers, results) at the previous sample
        self.rates = []           # per interval: (buffers/s, results/s)

    def drain(self):
        """Reads every pending message; returns an error sentence or None."""
        e = drain(self.Gst, self.bus, self.result, self.warning)
        return "unexpected EOS" if e == "eos" else e

    def result(self, st):
        ok, src = st.get_uint64("source-frame")
        self.buffers += 1
        self.last_buffer = time.monotonic()
        if ok and src != NO_FRAME and src != self.last_source:
            self.results += 1
            self.last_source = src

    def warning(self, source, text):
        print("soak.py: %s: warning from %s: %s" % (self.name, source, text), flush=True)

    def take(self, dt):
        b, r = self.buffers, self.results
        rate = ((b - self.mark[0]) / dt, (r - self.mark[1]) / dt)
        self.mark = (b, r)
        self.rates.append(rate)
        return rate


def run_live(args):
    Gst = gst(args.build)
    total = args.minutes * 60.0
    every = args.sample_seconds or (30.0 if total >= 120 else total / 4.0)
    n_samples = max(2, int(round(total / every)))
    dog = Watchdog(args.stacks)
    streams = [Stream(Gst, i, args) for i in range(args.streams)]
    print("%d pipelines like: %s" % (len(streams), streams[0].desc), flush=True)
    rss_before = status_kb("VmRSS")

    dog.arm(60, "the pipelines did not start within 60 s")
    t_start = time.monotonic()
    for st in streams:
        if st.pipe.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            print("soak.py: %s failed to start: %s" % (st.name, check_bus(Gst, st.pipe, st.name)))
            return 2
    # Wait until every stream has delivered a buffer; that is time zero.
    while any(st.last_buffer is None for st in streams):
        time.sleep(0.05)
        for st in streams:
            e = st.drain()
            if e:
                print("soak.py: %s: %s" % (st.name, e))
                return 1
    t0 = time.monotonic()
    users = [st.nn.get_property("shared-users") for st in streams]
    print("all %d streams flowing after %.2f s; shared-users: %s; RSS %.1f MiB before, %.1f MiB now"
          % (len(streams), t0 - t_start, users, mb(rss_before), mb(status_kb("VmRSS"))), flush=True)

    fails = []
    samples = []  # (seconds, rss kB, [(buffers/s, results/s)] per stream)
    print()
    hdr = "| seconds | RSS MiB | " + " | ".join("%s fps / cls/s" % st.name for st in streams) + " |"
    print(hdr)
    print("|---:|---:|" + "---:|" * len(streams), flush=True)
    next_sample, prev_t = t0 + every, t0
    while not fails:
        for st in streams:
            e = st.drain()
            if e:
                fails.append("%s: %s" % (st.name, e))
        now = time.monotonic()
        if now >= next_sample:
            dt = now - prev_t
            rates = [st.take(dt) for st in streams]
            rss = status_kb("VmRSS")
            samples.append((now - t0, rss, rates))
            print("| %.0f | %.2f | %s |" % (now - t0, mb(rss),
                                            " | ".join("%.1f / %.2f" % r for r in rates)), flush=True)
            for st, (bps, cps) in zip(streams, rates):
                if bps <= 0:
                    fails.append("%s delivered no buffer between %.0f s and %.0f s" % (st.name, prev_t - t0, now - t0))
                elif cps <= 0:
                    fails.append("%s got no new result between %.0f s and %.0f s" % (st.name, prev_t - t0, now - t0))
            prev_t, next_sample = now, next_sample + every
            if len(samples) >= n_samples:
                break
        for st in streams:
            stalled = now - st.last_buffer
            if stalled > args.stall_seconds:
                dog.fire("%s: no buffer for %.1f s (at %.0f s of the run; buffers so far: %s)" %
                         (st.name, stalled, now - t0, [s.buffers for s in streams]))
        dog.arm(args.stall_seconds + 5, "the soak's main loop stopped for %d s" % (args.stall_seconds + 5))
        time.sleep(min(0.05, max(0.0, next_sample - time.monotonic())))

    # Stopped one after the other, the others still playing; each must stop within 30 s. (A stopping
    # element waits for its job in flight, which may be queued behind every other stream's.)
    t_stop = time.monotonic()
    stops = []
    for st in streams:
        dog.arm(args.stop_seconds, "stopping %s (PLAYING -> NULL) took more than %.0f s; stopped before it: %s"
                % (st.name, args.stop_seconds, ", ".join("%.2f s" % x for x in stops) or "none"))
        t = time.monotonic()
        st.pipe.set_state(Gst.State.NULL)
        stops.append(time.monotonic() - t)
    stop_s = time.monotonic() - t_stop
    dog.deadline = None
    faulthandler.cancel_dump_traceback_later()
    rss_after = status_kb("VmRSS")

    print()
    print("stopped all %d pipelines (one after the other) in %.2f s (each: %s); RSS after stopping %.1f MiB"
          % (len(streams), stop_s, " ".join("%.2f" % x for x in stops), mb(rss_after)))
    print()
    print("| stream | frames | frames/s | classified frames | classified/s | lowest classified/s in an interval |")
    print("|---|---:|---:|---:|---:|---:|")
    run_s = samples[-1][0] if samples else 0.0
    sum_r = 0.0
    for st in streams:
        r = st.mark[1] / run_s if run_s else 0.0
        sum_r += r
        print("| %s | %d | %.1f | %d | %.2f | %.2f |" % (
            st.name, st.mark[0], st.mark[0] / run_s if run_s else 0.0, st.mark[1], r,
            min(x[1] for x in st.rates) if st.rates else 0.0))
    print("all streams: %.1f classified frames/s over %.0f s" % (sum_r, run_s))
    print()
    if len(samples) >= 2:
        base = samples[1][1]
        later = samples[1:]
        peak = max(later, key=lambda x: x[1])
        growth = mb(peak[1] - base)
        print("RSS baseline: the 2nd sample, %.0f s (%.2f MiB); largest sample from there: %.2f MiB at %.0f s "
              "(%+.2f MiB); last: %+.2f MiB; first sample: %.2f MiB"
              % (samples[1][0], mb(base), mb(peak[1]), peak[0], growth, mb(samples[-1][1] - base), mb(samples[0][1])))
        if growth >= args.max_growth_mb:
            fails.append("RSS grew %.2f MiB from the 2nd sample (limit %.2f MiB)" % (growth, args.max_growth_mb))
    else:
        fails.append("fewer than 2 samples")
    for f in fails:
        print("FAIL: %s" % f)
    print("live soak: %s" % ("PASS" if not fails else "FAIL"), flush=True)
    return 0 if not fails else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("stage", choices=["frames", "live"])
    ap.add_argument("--weights", required=True, help="B0 weights (folder or .safetensors)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="build folder whose gst-plugin/ is used unless GST_PLUGIN_PATH is set")
    ap.add_argument("--threads", type=int, default=0, help="element num-threads (0: all cores)")
    ap.add_argument("--frames", type=int, default=100000)
    ap.add_argument("--sample-every", type=int, default=0, help="frames between RSS samples (default frames/10)")
    ap.add_argument("--streams", type=int, default=8)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--sample-seconds", type=float, default=0.0)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--size", default=None, help="WxH of the source frames (frames: 320x240, live: 640x480)")
    ap.add_argument("--poll-ms", type=float, default=5.0, help="frames: how often the sink's last buffer is read")
    ap.add_argument("--stall-seconds", type=float, default=10.0)
    ap.add_argument("--stop-seconds", type=float, default=30.0, help="live: the longest one pipeline may take to stop")
    ap.add_argument("--max-growth-mb", type=float, default=None, help="frames: 1.0, live: 2.0")
    ap.add_argument("--stacks", default=None, help="where the watchdog writes the threads' stacks")
    args = ap.parse_args()
    size = args.size or ("320x240" if args.stage == "frames" else "640x480")
    try:
        args.width, args.height = (int(v) for v in size.lower().split("x"))
    except ValueError:
        ap.error("--size must be WxH")
    if args.max_growth_mb is None:
        args.max_growth_mb = 1.0 if args.stage == "frames" else 2.0
    if args.frames < 2 or args.minutes <= 0 or args.streams < 1:
        ap.error("--frames >= 2, --minutes > 0, --streams >= 1")
    return run_frames(args) if args.stage == "frames" else run_live(args)


if __name__ == "__main__":
    sys.exit(main())
