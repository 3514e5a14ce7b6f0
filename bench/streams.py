#!/usr/bin/python3
"""Many live streams on one shared model: what each stream gets (issue 10, point 4).

For each model (B0, B2), load and number of streams N (1, 2, 4, 8), N pipelines run in this one
process, all naming the same weights, so every `efficientnet` element shares one loaded model
(checked: `shared-users` must read N):

  cheap   videotestsrc is-live=true pattern=black ! video/x-raw,format=NV12,width=1920,height=1080,
            framerate=30/1 ! efficientnet weights=W mode=async num-threads=T post-messages=true !
            fakesink sync=true qos=true max-lateness=<one frame>
  decode  the same, the source being a 10 s 1080p30 H.264 clip looped and paced in real time, as a
          network camera delivers it (clocksync also makes the pipeline live), and decoded per stream:
            multifilesrc location=CLIP loop=true ! h264parse ! clocksync ! avdec_h264 max-threads=1 !
            efficientnet ... ! fakesink ...
          (the clip is made once with x264enc, else openh264enc, into build/streams/; the decoder's
          I420 goes to the element as it is: it takes I420 as directly as NV12)
  hog     cheap, plus a separate busy process (`taskset -c <last CPU> sh -c 'while :; do :; done'`)
          pinned to one core for the whole case, killed at its end
  decode-alone  the decode pipelines without the element (`identity` in its place), run once (with
          the first model): the control — what the decoders alone deliver and cost on this machine

Per case, after --warmup seconds, over --seconds (a window opened and closed by draining every bus):

  delivered/s   frames rendered on time by each sink (fakesink `stats`: rendered), per stream, min
                and mean; late = the sinks' `dropped` (later than max-lateness, one frame by
                default) as a share of all frames that reached them. With qos=true (default, as a
                video sink has) the sinks' QoS events reach the element, which lets late frames pass
                without inference, and the decoder, which skips late frames.
  classified/s  new results reaching each stream: distinct `source-frame` values in the element's
                per-frame messages (post-messages=true), per stream: min, mean, and fairness =
                min / mean; total = their sum, and share = total / the images/s of `effnet bench`
                with the same weights and threads, run right before and right after that load's
                cases (their mean; a third run beside the hog is printed for the hog load)
  age           frames between a frame and the frame its result was computed on: the element's frame
                number (the count of its messages) minus `source-frame`; median and p99 over every
                frame of every stream in the window (frames with no result yet are left out)
  CPU           utime + stime of this process (/proc/self/stat) over the window / its wall seconds, in
                cores: the elements, the decoders, GStreamer, and this script's bus reading; `others`
                = the machine's busy cores (/proc/stat) minus this process and the hog: how much the
                rest of the machine took meanwhile (it is shared and noisy); hog: what the hog got

No Python code runs in GStreamer's threads: counting at the sinks is read from their `stats`, and
results from the element's messages, popped off each pipeline's bus by the main thread every 20 ms
(a Python pad probe in a streaming thread grows CPython's heap and adds load; see bench/soak.py).

    /usr/bin/python3 bench/streams.py [--models b0,b2] [--streams 1,2,4,8]
        [--loads cheap,decode,hog,decode-alone]
        [--seconds 60] [--warmup 10] [--threads 0] [--quick] [--build build] [--json out.json]

--quick: 5 s windows after 2 s of warm-up and short `effnet bench` runs (a smoke run, not a result).
Prints the machine and the date first, one line per case as it ends, then the table (markdown).
When the decoders alone cannot keep up (decode-alone delivers less than the frame rate), a stream falls
behind for good: the source is paced before the decoder, every later frame is late, and the decoder's
QoS (from the sink's) drops them; decode's figures then measure the machine's decoding, not the model.

Exit status: 0 when every case ran (whatever it measured), 2 on a usage or setup error (no element, no
`effnet`, no encoder for the decode load, a pipeline that fails to start or posts an error).
"""
import argparse
import ctypes
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

from gstbus import NO_FRAME, drain, load_gst

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLK_TCK = os.sysconf("SC_CLK_TCK")
POLL_S = 0.02


class SetupError(Exception):
    pass


def gst(build):
    try:
        return load_gst(build)
    except RuntimeError as e:
        raise SetupError(str(e))


# ------------------------------------------------------------------------------------ the machine

def machine():
    model = "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"^Model name:\s*(.+)$", out, re.M)
        model = m.group(1).strip() if m else model
        cores = re.search(r"^Core\(s\) per socket:\s*(\d+)$", out, re.M)
        sockets = re.search(r"^Socket\(s\):\s*(\d+)$", out, re.M)
        ncores = int(cores.group(1)) * int(sockets.group(1)) if cores and sockets else None
    except OSError:
        ncores = None
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((l for l in f if l.startswith("flags")), "")
    except OSError:
        pass
    isa = "AVX-512" if " avx512f" in flags else "AVX2" if " avx2" in flags else "no AVX2"
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 1048576.0
    return {"cpu": model, "isa": isa, "cores": ncores, "cpus": os.cpu_count(),
            "cpus_usable": len(os.sched_getaffinity(0)), "mem_gib": round(mem, 1)}


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def proc_cpu_s(pid="self"):
    """utime + stime of a process, seconds (every thread of it)."""
    try:
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def machine_busy_s():
    """Busy CPU seconds of the whole machine so far (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


# --------------------------------------------------------------------------------- engine, inputs

def effnet_bench(effnet, weights, threads, runs, env=None):
    """images/s of `effnet bench` (median of its runs), or None with the reason printed."""
    cmd = [effnet, "bench", "--weights", weights, "--threads", str(threads)]
    if runs:
        cmd += ["--runs", str(runs)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    m = re.search(r"images_per_s=([0-9.]+)", p.stdout)
    if p.returncode != 0 or not m:
        raise SetupError("%s failed (exit %d): %s" % (" ".join(cmd), p.returncode, (p.stderr or p.stdout).strip()))
    return float(m.group(1))


def make_weights(variant, folder):
    path = os.path.join(folder, "%s-seed1" % variant)
    if not (os.path.isfile(os.path.join(path, "model.safetensors")) and
            os.path.isfile(os.path.join(path, "config.json"))):
        r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_untrained_weights.py"), path,
                            "--variant", variant, "--seed", "1"], stdout=subprocess.DEVNULL)
        if r.returncode != 0:
            raise SetupError("could not make the untrained %s weights in %s (numpy?)" % (variant, path))
    return path


def make_clip(Gst, folder, w, h, fps, seconds=10):
    """A looped-playable H.264 byte stream, made once: returns (path, how it was made)."""
    for enc, props in (("x264enc", "speed-preset=veryfast bitrate=6000 key-int-max=%d bframes=0" % fps),
                       ("openh264enc", "bitrate=6000000 gop-size=%d" % fps)):
        if Gst.ElementFactory.find(enc) is not None:
            break
    else:
        raise SetupError("no H.264 encoder for the decode load's clip (x264enc: gstreamer1.0-plugins-ugly; "
                         "openh264enc: gstreamer1.0-plugins-bad)")
    for e in ("h264parse", "avdec_h264", "multifilesrc", "clocksync"):
        if Gst.ElementFactory.find(e) is None:
            raise SetupError("the decode load needs %s (h264parse: gstreamer1.0-plugins-bad, avdec_h264: "
                             "gstreamer1.0-libav, multifilesrc: -plugins-good, clocksync: core)" % e)
    path = os.path.join(folder, "clip-%dx%d-%dfps-%ds.h264" % (w, h, fps, seconds))
    how = ("videotestsrc pattern=smpte horizontal-speed=4 (a moving picture) %dx%d %d fps, %d s, %s %s, "
           "byte-stream" % (w, h, fps, seconds, enc, props))
    if not os.path.isfile(path):
        tmp = path + ".part"
        desc = ("videotestsrc num-buffers=%d pattern=smpte horizontal-speed=4 ! "
                "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! %s %s ! "
                "video/x-h264,stream-format=byte-stream ! h264parse ! filesink location=\"%s\""
                % (seconds * fps, w, h, fps, enc, props, tmp))
        print("making the decode load's clip: %s" % path, flush=True)
        pipe = Gst.parse_launch(desc)
        pipe.set_state(Gst.State.PLAYING)
        msg = pipe.get_bus().timed_pop_filtered(600 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        pipe.set_state(Gst.State.NULL)
        if msg is None or msg.type != Gst.MessageType.EOS:
            raise SetupError("could not make the clip %s: %s" % (
                path, msg.parse_error()[0].message if msg else "timed out"))
        os.replace(tmp, path)
    return path, how


class Hog:
    """A busy loop in its own process pinned to one CPU; it dies with us (PR_SET_PDEATHSIG)."""

    def __init__(self):
        if shutil.which("taskset") is None:
            raise SetupError("the hog load needs taskset (util-linux)")
        self.cpu = max(os.sched_getaffinity(0))

        def die_with_parent():
            try:
                ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            except (OSError, AttributeError):
                pass

        self.p = subprocess.Popen(["taskset", "-c", str(self.cpu), "sh", "-c", "while :; do :; done"],
                                  preexec_fn=die_with_parent)

    def cpu_s(self):
        return proc_cpu_s(self.p.pid)

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


# ---------------------------------------------------------------------------------------- streams

class Stream:
    def __init__(self, Gst, i, desc):
        self.Gst = Gst
        self.name = "s%d" % i
        self.desc = desc
        self.pipe = Gst.parse_launch(desc)
        self.pipe.set_name(self.name)
        self.nn = self.pipe.get_by_name("nn")  # None without the element (decode-alone)
        self.sink = self.pipe.get_by_name("sink")
        self.bus = self.pipe.get_bus()
        self.frames = 0           # messages read = frames through the element; the next frame's number
        self.last_source = None
        self.measuring = False
        self.w_frames = 0         # in the window
        self.w_results = 0
        self.ages = []
        self.inference_ns = []
        self.warnings = []

    def drain(self):
        """Reads every pending message; returns an error sentence or None."""
        e = drain(self.Gst, self.bus, self.result,
                  lambda source, text: self.warnings.append("%s: %s" % (source, text)))
        return "unexpected EOS" if e == "eos" else e

    def result(self, st):
        index = self.frames
        self.frames += 1
        ok, src = st.get_uint64("source-frame")
        new = ok and src != NO_FRAME and src != self.last_source
        if new:
            self.last_source = src
        if self.measuring:
            self.w_frames += 1
            if ok and src != NO_FRAME:
                self.ages.append(index - src)
            if new:
                self.w_results += 1
                self.inference_ns.append(st.get_uint64("inference-ns")[1])

    def sink_stats(self):
        s = self.sink.get_property("stats")
        return s.get_uint64("rendered")[1], s.get_uint64("dropped")[1]

    def flowing(self):
        return self.frames > 0 if self.nn is not None else sum(self.sink_stats()) > 0


def describe(load, a, weights, clip):
    w, h, fps = a.width, a.height, a.fps
    if load in ("decode", "decode-alone"):
        src = ("multifilesrc location=\"%s\" loop=true caps=video/x-h264,stream-format=byte-stream ! h264parse ! "
               "clocksync ! avdec_h264 max-threads=%d" % (clip, a.decode_threads))
    else:
        src = ("videotestsrc is-live=true pattern=black ! video/x-raw,format=NV12,width=%d,height=%d,framerate=%d/1"
               % (w, h, fps))
    if load == "decode-alone":
        element = "identity"
    else:
        element = ("efficientnet name=nn weights=\"%s\" mode=async num-threads=%d post-messages=true%s"
                   % (weights, a.threads, "".join(" " + p for p in a.element_props)))
    return ("%s ! %s ! fakesink name=sink sync=true qos=%s max-lateness=%d"
            % (src, element, "true" if a.sink_qos else "false", a.max_lateness_ns))


def pct(values, q):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def run_case(Gst, a, model, load, n, weights, clip):
    desc = describe(load, a, weights, clip)
    streams = [Stream(Gst, i, desc) for i in range(n)]
    row = {"model": model, "load": load, "streams": n, "pipeline": desc, "loadavg_before": loadavg()}
    hog = Hog() if load == "hog" else None
    try:
        t_start = time.monotonic()
        for st in streams:
            if st.pipe.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
                raise SetupError("%s failed to start: %s" % (st.name, st.drain() or "no error message"))
        # Every stream flowing (a message from each) is time zero; then the warm-up.
        deadline = t_start + a.start_timeout
        while not all(st.flowing() for st in streams):
            for st in streams:
                e = st.drain()
                if e:
                    raise SetupError("%s: %s" % (st.name, e))
            if time.monotonic() > deadline:
                raise SetupError("streams %s delivered no frame within %.0f s" % (
                    [st.name for st in streams if not st.flowing()], a.start_timeout))
            time.sleep(POLL_S)
        row["start_s"] = round(time.monotonic() - t_start, 2)
        row["shared_users"] = sorted({st.nn.get_property("shared-users") for st in streams if st.nn is not None})
        t_warm = time.monotonic() + a.warmup

        def pump(until):
            while True:
                for st in streams:
                    e = st.drain()
                    if e:
                        raise SetupError("%s: %s" % (st.name, e))
                if time.monotonic() >= until:
                    return
                time.sleep(POLL_S)

        pump(t_warm)
        # The window: opened right after a drain, closed right after one.
        for st in streams:
            st.measuring = True
        sinks0 = [st.sink_stats() for st in streams]
        cpu0, busy0, hog0, t0 = proc_cpu_s(), machine_busy_s(), hog.cpu_s() if hog else 0.0, time.monotonic()
        pump(t0 + a.seconds)
        t1 = time.monotonic()
        cpu1, busy1, hog1 = proc_cpu_s(), machine_busy_s(), hog.cpu_s() if hog else 0.0
        sinks1 = [st.sink_stats() for st in streams]
        for st in streams:
            st.measuring = False
    finally:
        t_stop = time.monotonic()
        stops = []
        for st in streams:
            t = time.monotonic()
            st.pipe.set_state(Gst.State.NULL)
            stops.append(time.monotonic() - t)
        if hog:
            hog.stop()
    secs = t1 - t0
    rendered = [b[0] - a_[0] for a_, b in zip(sinks0, sinks1)]
    dropped = [b[1] - a_[1] for a_, b in zip(sinks0, sinks1)]
    alone = streams[0].nn is None
    cls = [st.w_results / secs for st in streams]
    ages = [x for st in streams for x in st.ages]
    inf = [x for st in streams for x in st.inference_ns]
    total = sum(cls)
    mean = total / n
    cpu = (cpu1 - cpu0) / secs
    hog_cores = (hog1 - hog0) / secs if hog else 0.0
    row.update({
        "seconds": round(secs, 2),
        "delivered_fps": [round(r / secs, 2) for r in rendered],
        "element_fps": None if alone else [round(st.w_frames / secs, 2) for st in streams],
        "late": sum(dropped), "late_share": sum(dropped) / max(1, sum(dropped) + sum(rendered)),
        "classified_fps": None if alone else [round(c, 3) for c in cls],
        "classified_min": None if alone else min(cls), "classified_mean": None if alone else mean,
        "classified_total": None if alone else total,
        "fairness": None if alone else (min(cls) / mean) if mean > 0 else 0.0,
        "age_median": statistics.median(ages) if ages else None, "age_p99": pct(ages, 0.99),
        "age_max": max(ages) if ages else None,
        "inference_ms_median": statistics.median(inf) / 1e6 if inf else None,
        "cpu_cores": cpu, "hog_cores": hog_cores,
        "others_cores": (busy1 - busy0) / secs - cpu - hog_cores,
        "stop_s": round(time.monotonic() - t_stop, 2), "stop_max_s": round(max(stops), 2),
        "warnings": sorted({w for st in streams for w in st.warnings}),
    })
    return row


# ------------------------------------------------------------------------------------------ output

def fmt(v, spec="%.1f", none="–"):
    return none if v is None else spec % v


def hog_load(r):
    return r["load"] == "hog"


def case_line(r):
    d, n = r["delivered_fps"], r["streams"]
    line = "  %s %-12s N=%d: " % (r["model"], r["load"], n)
    if r["classified_fps"] is not None:
        line += "shared-users %s%s; " % (r["shared_users"], "" if r["shared_users"] == [n] else " (NOT one shared model)")
    line += "delivered %.1f-%.1f/s, late %.1f %%; " % (min(d), max(d), 100 * r["late_share"])
    if r["classified_fps"] is not None:
        line += ("element %.1f-%.1f frames/s; classified/s per stream %.2f-%.2f (total %.1f); age median %s p99 %s "
                 "frames; inference %s ms; " % (
                     min(r["element_fps"]), max(r["element_fps"]), r["classified_min"], max(r["classified_fps"]),
                     r["classified_total"], fmt(r["age_median"], "%.0f"), fmt(r["age_p99"], "%.0f"),
                     fmt(r["inference_ms_median"])))
    line += "CPU %.2f%s, others %.2f cores; stopped in %.2f s" % (
        r["cpu_cores"], " (hog %.2f)" % r["hog_cores"] if hog_load(r) else "", r["others_cores"], r["stop_s"])
    for w in r["warnings"]:
        line += "\n    warning: %s" % w
    return line


def table_header():
    return ("| model | load | N | shared-users | delivered/s per stream (min / mean) | late | "
            "classified/s per stream (min / mean) | fairness | total classified/s | effnet bench img/s | "
            "share | age median / p99 (frames) | CPU (cores) | others (cores) |\n"
            "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def table_row(r):
    d = r["delivered_fps"]
    share = r["classified_total"] / r["bench"] if r.get("bench") and r["classified_total"] is not None else None
    return ("| %s | %s | %d | %s | %.1f / %.1f | %.1f %% | %s / %s | %s | %s | %s | %s | %s / %s | "
            "%.2f%s | %.2f |" % (
                r["model"], r["load"], r["streams"], ",".join(str(u) for u in r["shared_users"]) or "–",
                min(d), sum(d) / len(d), 100.0 * r["late_share"], fmt(r["classified_min"], "%.2f"),
                fmt(r["classified_mean"], "%.2f"), fmt(r["fairness"], "%.2f"), fmt(r["classified_total"]),
                fmt(r.get("bench")), fmt(share, "%.2f"),
                fmt(r["age_median"], "%.0f"), fmt(r["age_p99"], "%.0f"), r["cpu_cores"],
                " (hog %.2f)" % r["hog_cores"] if hog_load(r) else "", r["others_cores"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[1:]))
    ap.add_argument("--models", default="b0,b2", help="comma-separated variants (b0..b7)")
    ap.add_argument("--streams", default="1,2,4,8", help="comma-separated stream counts")
    ap.add_argument("--loads", default="cheap,decode,hog,decode-alone",
                    help="comma-separated: cheap, decode, hog, decode-alone (the last once, without the element)")
    ap.add_argument("--seconds", type=float, default=None, help="measured window of each case (default 60)")
    ap.add_argument("--warmup", type=float, default=None, help="seconds before the window (default 10)")
    ap.add_argument("--threads", type=int, default=0, help="element num-threads and effnet bench --threads (0: all cores)")
    ap.add_argument("--element-props", action="append", default=[], metavar="NAME=VALUE",
                    help="another efficientnet property for every element, e.g. inference-nice=0 (repeatable)")
    ap.add_argument("--quick", action="store_true",
                    help="5 s windows and 2 s of warm-up unless given, short engine benches")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="build folder: gst-plugin/ (unless GST_PLUGIN_PATH is set) and nn/effnet")
    ap.add_argument("--json", default=None, help="also write every figure (per stream too) here")
    ap.add_argument("--weights", action="append", default=[], metavar="MODEL=PATH",
                    help="weights for a model (default: untrained, seeded, in build/streams/MODEL-seed1)")
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--sink-qos", default="true", choices=["true", "false"],
                    help="fakesink qos (true: QoS events reach the element and the decoder, as from a video sink)")
    ap.add_argument("--max-lateness-ms", type=float, default=None, help="fakesink max-lateness (default one frame)")
    ap.add_argument("--decode-threads", type=int, default=1,
                    help="avdec_h264 max-threads (default 1: one decoding thread per stream, as N decoders "
                         "already share the cores; 0: libav's choice)")
    ap.add_argument("--start-timeout", type=float, default=60.0)
    a = ap.parse_args()
    try:
        models = [m.strip().lower() for m in a.models.split(",") if m.strip()]
        counts = [int(x) for x in a.streams.split(",") if x.strip()]
        loads = [x.strip() for x in a.loads.split(",") if x.strip()]
        a.width, a.height = (int(v) for v in a.size.lower().split("x"))
    except ValueError:
        ap.error("--streams takes whole numbers, --size WxH")
    if not models or any(not re.fullmatch(r"b[0-7]", m) for m in models):
        ap.error("--models takes b0..b7")
    if not counts or any(c < 1 for c in counts):
        ap.error("--streams takes numbers >= 1")
    if not loads or any(x not in ("cheap", "decode", "hog", "decode-alone") for x in loads):
        ap.error("--loads takes cheap, decode, hog, decode-alone")
    if a.threads < 0 or a.fps < 1 or a.decode_threads < 0:
        ap.error("--threads >= 0, --fps >= 1, --decode-threads >= 0")
    given = {}
    for spec in a.weights:
        m, _, path = spec.partition("=")
        if not path:
            ap.error("--weights takes MODEL=PATH")
        given[m.strip().lower()] = path
    if a.seconds is None:
        a.seconds = 5.0 if a.quick else 60.0
    if a.warmup is None:
        a.warmup = 2.0 if a.quick else 10.0
    if a.seconds <= 0 or a.warmup < 0:
        ap.error("--seconds > 0, --warmup >= 0")
    bench_runs = 30 if a.quick else 0  # 0: effnet's own choice, ~3 s of runs
    a.sink_qos = a.sink_qos == "true"
    a.max_lateness_ns = int((a.max_lateness_ms if a.max_lateness_ms is not None else 1000.0 / a.fps) * 1e6)
    build = os.path.abspath(a.build)

    info = machine()
    print("streams.py: %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z"))
    print("machine: %s (%s), %s cores, %d CPUs (%d usable here), %.0f GiB; load average %s" % (
        info["cpu"], info["isa"], info["cores"] if info["cores"] else "?", info["cpus"], info["cpus_usable"],
        info["mem_gib"], loadavg()))
    commit = "unknown"
    stamp = os.path.join(os.path.dirname(build), "COMMIT")  # a build made by bench/build_at.sh
    if os.path.isfile(stamp):
        with open(stamp) as f:
            commit = f.read().strip() + " (built apart, %s)" % build
    else:
        try:
            src = os.path.dirname(build)
            commit = subprocess.run(["git", "-C", src, "log", "-1", "--format=%h %s"], capture_output=True,
                                    text=True).stdout.strip()[:90] or "unknown"
            if subprocess.run(["git", "-C", src, "status", "--porcelain", "--untracked-files=no", "--", "nn",
                               "gst-plugin"], capture_output=True, text=True).stdout.strip():
                commit += " (+ uncommitted changes in nn/ or gst-plugin/)"
        except OSError:
            pass
    print("source tree: %s" % commit)
    results = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "machine": info,
               "commit": commit, "options": {"seconds": a.seconds, "warmup": a.warmup, "threads": a.threads,
                                             "size": a.size, "fps": a.fps, "sink_qos": a.sink_qos,
                                             "max_lateness_ns": a.max_lateness_ns,
                                             "decode_threads": a.decode_threads},
               "benches": [], "cases": []}
    rows = []
    try:
        Gst = gst(build)
        print("plugin: %s; %s" % (os.environ["GST_PLUGIN_PATH"], Gst.version_string()))
        effnet = os.path.join(build, "nn", "effnet")
        if not os.access(effnet, os.X_OK):
            raise SetupError("no %s (ninja -C %s)" % (effnet, build))
        folder = os.path.join(ROOT, "build", "streams")
        os.makedirs(folder, exist_ok=True)
        clip = None
        if "decode" in loads or "decode-alone" in loads:
            clip, how = make_clip(Gst, folder, a.width, a.height, a.fps)
            print("decode load's clip: %s (%s)" % (clip, how))
            results["clip"] = {"path": clip, "made_with": how}
        print("window %.0f s after %.0f s of warm-up; element num-threads=%d%s; sinks: sync=true qos=%s "
              "max-lateness=%.1f ms" % (a.seconds, a.warmup, a.threads,
                                        "".join(" " + p for p in a.element_props),
                                        "true" if a.sink_qos else "false", a.max_lateness_ns / 1e6))
        print(flush=True)
        for i, model in enumerate(models):
            weights = given.get(model) or make_weights(model, folder)
            if not os.path.exists(weights):
                raise SetupError("weights %s: no such file or folder" % weights)

            def bench(when):
                v = effnet_bench(effnet, weights, a.threads, bench_runs)
                results["benches"].append({"model": model, "when": when, "images_per_s": v,
                                           "loadavg": loadavg()})
                print("  effnet bench %s, threads %d (%s): %.1f images/s" % (model, a.threads, when, v), flush=True)
                return v

            print("== %s: %s" % (model, weights), flush=True)
            # The control without the element runs once, in the first model's turn.
            mine = [x for x in loads if x != "decode-alone" or i == 0]
            with_element = [x for x in mine if x != "decode-alone"]
            before = bench("before the %s cases" % with_element[0]) if with_element else None
            for load in mine:
                if load == "decode-alone":
                    for n in counts:
                        r = run_case(Gst, a, "none", load, n, None, clip)
                        print(case_line(r), flush=True)
                        rows.append(r)
                    continue
                if load == "hog":
                    hog = Hog()
                    try:
                        time.sleep(0.5)
                        v = effnet_bench(effnet, weights, a.threads, bench_runs)
                    finally:
                        hog.stop()
                    results["benches"].append({"model": model, "when": "beside the hog", "images_per_s": v,
                                               "loadavg": loadavg()})
                    print("  effnet bench %s, threads %d, beside the hog (CPU %d busy): %.1f images/s"
                          % (model, a.threads, hog.cpu, v), flush=True)
                block = []
                for n in counts:
                    r = run_case(Gst, a, model, load, n, weights, clip)
                    block.append(r)
                    print(case_line(r), flush=True)
                after = bench("after the %s cases" % load)
                for r in block:
                    r["bench_before"], r["bench_after"] = before, after
                    r["bench"] = (before + after) / 2.0
                rows += block
                before = after
    except SetupError as e:
        print("streams.py: %s" % e, file=sys.stderr, flush=True)
        status = 2
    except KeyboardInterrupt:
        print("streams.py: interrupted", file=sys.stderr, flush=True)
        status = 2
    else:
        status = 0

    if rows:
        print()
        print(table_header())
        for r in rows:
            print(table_row(r))
        print()
        print("delivered/s: frames rendered on time at each sink; late: frames the sinks dropped as later than "
              "%.1f ms; classified/s: new results reaching each stream; share: total classified/s over `effnet "
              "bench` images/s (same weights and threads, mean of the runs before and after the load's cases); "
              "age: frame number minus the frame its result was computed on; CPU: this process; others: the "
              "rest of the machine (the hog excluded; what the hog got is in brackets); decode-alone: the decode "
              "pipelines without the element, the control." % (a.max_lateness_ns / 1e6))
    results["cases"] = rows
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
        print("wrote %s" % a.json)
    return status


if __name__ == "__main__":
    sys.exit(main())
