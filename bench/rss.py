#!/usr/bin/python3
"""Peak resident memory (peak RSS) per model: the efficientnet element, the engine alone, and ONNX
Runtime, each classifying the same number of images with the same weights.

  /usr/bin/python3 bench/rss.py [b0 b7] [--images 50] [--threads 2] [--rounds 3] [--build DIR | --at REV]

For every variant (default b0 and b7), with the seeded random models of bench/make_models.py
(bench/out/bN.safetensors and the same weights as bench/out/bN.onnx; made when missing, as
bench/compare.sh does), each of these runs as a fresh process and its peak RSS is read from the
kernel when it exits (wait4's ru_maxrss, what `/usr/bin/time -v` prints as "Maximum resident set
size"):

  element   gst-launch-1.0 videotestsrc num-buffers=N ! video/x-raw,format=NV12,width=S,height=S
              ! efficientnet weights=bN.safetensors mode=sync num-threads=T ! fakesink
            (S = the model's input size: N frames, N inferences)
  gst       the same pipeline without efficientnet (what GStreamer and the source take alone)
  engine    build/nn/effnet bench --variant bN --weights bN.safetensors --threads T --batch 1 --runs N
            (the engine alone; it also makes ~0.3 s of warm-up runs before the N)
  ort       node bench/ort_bench.js bN.onnx T S --runs N --warmup 0
            (ONNX Runtime 1.30 through onnxruntime-node, T intra-op threads, all graph optimisations)
  node      node with onnxruntime-node loaded and no session (what node and the library take alone)

Rounds are interleaved (every program once, then again); the table gives the median of the rounds
in MiB (1 MiB = 1,048,576 bytes), and the spread when rounds differ by more than 1 MiB.
Progress goes to stderr, the Markdown table (with the date, CPU and commit) to stdout.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SIZES = {0: 224, 1: 240, 2: 260, 3: 300, 4: 380, 5: 456, 6: 528, 7: 600}
ORT_VERSION = "1.30.0"


def say(*a):
    print("rss.py:", *a, file=sys.stderr, flush=True)


def peak_rss_kb(cmd, env=None):
    """Runs cmd; returns (peak RSS in KiB, seconds, stdout). Fails loudly on a non-zero exit."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, ru = os.wait4(p.pid, 0)  # reaped here, so Popen never waits for it
        p.returncode = os.waitstatus_to_exitcode(status)
        secs = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        text = out.read().decode(errors="replace")
        if p.returncode != 0:
            sys.stderr.write(err.read().decode(errors="replace")[-2000:])
            raise SystemExit("rss.py: %s exited with %d" % (" ".join(cmd), p.returncode))
    return ru.ru_maxrss, secs, text


def machine():
    try:
        cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("Model name")), "?")
    except OSError:
        model = "?"
    return "%s, %d CPUs, %s" % (model, os.cpu_count() or 0, os.uname().machine)


def commit_of(build):
    """The commit the build was made from: its source tree's git HEAD, or a COMMIT file left by
    scripts/soak.sh --at."""
    src = os.path.dirname(os.path.abspath(build))
    path = os.path.join(src, "COMMIT")
    if os.path.exists(path):
        return open(path).read().strip()
    r = subprocess.run(["git", "-C", src, "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    if r.returncode != 0:
        return "?"
    dirty = subprocess.run(["git", "-C", src, "status", "--porcelain", "--untracked-files=no", "--", "nn", "gst-plugin"],
                           capture_output=True, text=True).stdout.strip()
    return r.stdout.strip()[:60] + (" (+ uncommitted changes in nn/ or gst-plugin/)" if dirty else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("variants", nargs="*", default=["b0", "b7"])
    ap.add_argument("--images", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="build folder with nn/effnet and gst-plugin/ (default: build)")
    ap.add_argument("--at", metavar="REV", help="measure the project as it was at commit REV, built apart by "
                    "bench/build_at.sh (overrides --build)")
    ap.add_argument("--models", default=os.path.join(HERE, "out"), help="where bN.safetensors / bN.onnx are")
    ap.add_argument("--python", default="/usr/bin/python3", help="interpreter with torch (bench/make_models.py)")
    ap.add_argument("--node", default="node")
    args = ap.parse_args()
    variants = []
    for v in args.variants:
        t = v.lower().lstrip("b")
        if not t.isdigit() or int(t) not in SIZES:
            ap.error("variant must be b0..b7, got %r" % v)
        variants.append(int(t))

    if args.at:
        r = subprocess.run([os.path.join(HERE, "build_at.sh"), args.at], stdout=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise SystemExit("rss.py: bench/build_at.sh %s failed" % args.at)
        args.build = r.stdout.strip().splitlines()[-1]
    build = os.path.abspath(args.build)
    effnet = os.path.join(build, "nn", "effnet")
    plugin = os.path.join(build, "gst-plugin")
    if not os.access(effnet, os.X_OK) or not os.path.isdir(plugin):
        raise SystemExit("rss.py: no %s or %s (ninja -C build)" % (effnet, plugin))

    ort_pkg = os.path.join(HERE, "node_modules", "onnxruntime-node", "package.json")
    if not os.path.exists(ort_pkg) or ('"version": "%s"' % ORT_VERSION) not in open(ort_pkg).read():
        say("installing onnxruntime-node@%s into bench/node_modules" % ORT_VERSION)
        subprocess.run(["npm", "install", "--ignore-scripts", "--no-save", "--prefix", HERE,
                        "onnxruntime-node@" + ORT_VERSION], check=True, stdout=sys.stderr)
    missing = ["b%d" % v for v in variants
               if not all(os.path.exists(os.path.join(args.models, "b%d.%s" % (v, e))) for e in ("onnx", "safetensors"))]
    if missing:
        say("building models %s (bench/make_models.py; B7 takes a minute or two)" % " ".join(missing))
        subprocess.run([args.python, os.path.join(HERE, "make_models.py"), "--out", args.models] + missing,
                       check=True)

    env = dict(os.environ, GST_PLUGIN_PATH=plugin)
    n, t = args.images, args.threads
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    load = open("/proc/loadavg").read().split()[:3]
    rows = []
    for v in variants:
        s = SIZES[v]
        st = os.path.join(args.models, "b%d.safetensors" % v)
        onnx = os.path.join(args.models, "b%d.onnx" % v)
        src = ["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=%d" % n, "!",
               "video/x-raw,format=NV12,width=%d,height=%d" % (s, s), "!"]
        programs = {
            "element": src + ["efficientnet", "weights=%s" % st, "mode=sync", "num-threads=%d" % t, "!",
                              "fakesink", "sync=false"],
            "gst": src + ["fakesink", "sync=false"],
            "engine": [effnet, "bench", "--variant", "b%d" % v, "--weights", st, "--threads", str(t),
                       "--batch", "1", "--runs", str(n)],
            "ort": [args.node, os.path.join(HERE, "ort_bench.js"), onnx, str(t), str(s),
                    "--runs", str(n), "--warmup", "0"],
            "node": [args.node, "-e", "require(%r)" % os.path.join(HERE, "node_modules", "onnxruntime-node")],
        }
        got = {k: [] for k in programs}
        info = ""
        for r in range(args.rounds):
            for k, cmd in programs.items():
                kb, secs, out = peak_rss_kb(cmd, env)
                got[k].append(kb / 1024.0)
                if k == "engine":
                    info = next((l for l in out.splitlines() if "workspace" in l), info)
                say("b%d round %d/%d: %-7s peak RSS %7.1f MiB (%.1f s)" % (v, r + 1, args.rounds, k, kb / 1024.0, secs))
        med = {k: statistics.median(x) for k, x in got.items()}

        def cell(k):
            lo, hi = min(got[k]), max(got[k])
            return "%.1f" % med[k] + (" (%.1f–%.1f)" % (lo, hi) if hi - lo > 1.0 else "")

        ws = info.split("workspace")[-1].strip().rstrip(")") if "workspace" in info else "?"
        rows.append("| B%d | %d | %.1f | %s | %s | %.1f | %s | %s | %.1f | %s | %.2f |" % (
            v, s, os.path.getsize(st) / 1048576.0, cell("element"), cell("gst"), med["element"] - med["gst"],
            cell("engine"), cell("ort"), med["ort"] - med["node"], ws, med["element"] / med["ort"]))
        say("b%d: engine: %s" % (v, info))

    print("Peak RSS in MiB, median of %d interleaved rounds; %d images per process, %d threads; "
          "%s; %s; commit %s; load average at start %s."
          % (args.rounds, n, t, started, machine(), commit_of(build), " ".join(load)))
    print()
    print("| model | S | weights MiB | element | GStreamer alone | element − GStreamer | engine (`effnet bench`) "
          "| ORT | ORT − node | engine workspace, batch 1 | element / ORT |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
