#!/usr/bin/env python3
"""Tests of effnet-classify (meson test --suite tools).

    test_effnet_classify.py CASE --tool EXE --weights DIR --work DIR [--no-reference]

CASE: jsonl, csv, interval, errors. Inputs are generated here (videotestsrc -> jpegenc ->
matroskamux, 20 frames; pngenc images). The records the tool writes must EQUAL the metadata the
efficientnet element attaches in the same pipeline run here, in this process, with a pad probe
(labels and class ids exactly, scores to 1e-6, timestamps to 1 ns).

--no-reference (sanitizer builds): this uninstrumented Python cannot load the instrumented plugin, so
the records are only checked for form and the error cases are run; the tool itself (instrumented)
still runs everything.

Environment (set by meson): GST_PLUGIN_PATH (the plugin), GST_PLUGIN_SYSTEM_PATH (links to the few
system plugins needed), GST_REGISTRY (a registry of the tests' own), GST_REGISTRY_FORK=no.
Exit status 0: passed, 77: skipped, else failed.
"""
import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import SKIP, check, fail, init_gst, run_to_eos  # noqa: E402

CLIP_FRAMES = 20


class Ctx:
    def __init__(self, args):
        self.tool = os.path.abspath(args.tool)
        self.weights = os.path.abspath(args.weights)
        self.work = os.path.abspath(args.work)
        self.reference = not args.no_reference
        self.env = dict(os.environ)  # what the tool gets
        os.makedirs(self.work, exist_ok=True)
        if not self.reference:
            # This process must not load the (instrumented) plugin: no plugin path, and a registry
            # of its own so that the tool's is not rewritten without the plugin.
            os.environ["GST_PLUGIN_PATH"] = ""
            os.environ["GST_PLUGIN_PATH_1_0"] = ""
            os.environ["GST_REGISTRY"] = os.path.join(self.work, "python-registry.bin")
            os.environ["GST_REGISTRY_1_0"] = os.environ["GST_REGISTRY"]
        self.Gst = init_gst()

    def run(self, args, env=None, tool=None):
        p = subprocess.run([tool or self.tool] + args, env=env or self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
        return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")

    def gst_run(self, desc):
        """Runs a pipeline description to EOS in this process."""
        run_to_eos(self.Gst, desc)

    def make_clip(self, name="clip.mkv", frames=CLIP_FRAMES):
        path = os.path.join(self.work, name)
        self.gst_run("videotestsrc num-buffers=%d pattern=ball ! "
                     "video/x-raw,width=160,height=120,framerate=10/1 ! jpegenc ! matroskamux ! "
                     "filesink location=\"%s\"" % (frames, path))
        return path

    def make_png(self, name, pattern="smpte"):
        path = os.path.join(self.work, name)
        tmp = os.path.join(self.work, "tmp.png")
        self.gst_run("videotestsrc num-buffers=1 pattern=%s ! video/x-raw,width=96,height=64 ! "
                     "pngenc ! filesink location=\"%s\"" % (pattern, tmp))
        os.replace(tmp, path)  # any name, whatever the pipeline syntax makes of it
        return path

    def reference_records(self, path, top_k, interval=1):
        """The element's metadata for each classified frame, read in a probe."""
        Gst = self.Gst
        pipe = Gst.parse_launch(
            "uridecodebin name=src ! videoconvert ! efficientnet name=net mode=sync qos=false ! "
            "fakesink name=sink sync=false")
        pipe.get_by_name("src").set_property("uri", Gst.filename_to_uri(path))
        net = pipe.get_by_name("net")
        net.set_property("weights", self.weights)
        net.set_property("top-k", top_k)
        net.set_property("inference-interval", interval)
        out = []

        def probe(pad, info):
            buf = info.get_buffer()
            meta = buf.get_custom_meta("EfficientNetClassification")
            s = meta.get_structure()
            if s.get_value("stale"):
                return Gst.PadProbeReturn.OK
            ts = None if buf.pts == Gst.CLOCK_TIME_NONE else buf.pts
            out.append({"frame": s.get_value("source-frame"), "pts": ts,
                        "labels": list(s.get_value("top-labels")),
                        "class_ids": list(s.get_value("top-class-ids")),
                        "scores": list(s.get_value("top-scores"))})
            return Gst.PadProbeReturn.OK

        pipe.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
        pipe.set_state(Gst.State.PLAYING)
        msg = pipe.get_bus().timed_pop_filtered(300 * Gst.SECOND,
                                                Gst.MessageType.EOS | Gst.MessageType.ERROR)
        pipe.set_state(Gst.State.NULL)
        check(msg is not None and msg.type == Gst.MessageType.EOS,
              "reference pipeline failed on " + path)
        return out


def parse_jsonl(text):
    recs = []
    for i, line in enumerate(text.splitlines()):
        try:
            r = json.loads(line)
        except ValueError as e:
            fail("line %d is not JSON (%s): %r" % (i + 1, e, line))
        check(list(r) == ["input", "frame", "timestamp", "labels", "class_ids", "scores"],
              "line %d has keys %s" % (i + 1, list(r)))
        recs.append(r)
    return recs


def parse_csv(text):
    rows = list(csv.reader(io.StringIO(text, newline="")))
    check(rows and rows[0] == ["input", "frame", "timestamp", "rank", "label", "class_id", "score"],
          "bad CSV header: %r" % (rows[:1],))
    recs = []  # rows grouped into records (input, frame), ranks 1..n in order
    for row in rows[1:]:
        check(len(row) == 7, "CSV row with %d fields: %r" % (len(row), row))
        inp, frame, ts, rank, label, cid, score = row
        if not recs or recs[-1]["input"] != inp or recs[-1]["frame"] != int(frame):
            recs.append({"input": inp, "frame": int(frame),
                         "timestamp": float(ts) if ts else None,
                         "labels": [], "class_ids": [], "scores": []})
        r = recs[-1]
        check(int(rank) == len(r["labels"]) + 1, "rank %s out of order in %r" % (rank, row))
        r["labels"].append(label)
        r["class_ids"].append(int(cid))
        r["scores"].append(float(score))
    return recs


def check_form(recs, top_k):
    for r in recs:
        check(1 <= len(r["labels"]) <= top_k and
              len(r["labels"]) == len(r["class_ids"]) == len(r["scores"]),
              "record with %d labels, %d ids, %d scores (top-k %d)" % (
                  len(r["labels"]), len(r["class_ids"]), len(r["scores"]), top_k))
        check(all(0 <= c < 1000 for c in r["class_ids"]), "class id out of range: %r" % r)
        check(all(0.0 <= p <= 1.0 for p in r["scores"]), "score out of range: %r" % r)
        check(r["scores"] == sorted(r["scores"], reverse=True), "scores not best first: %r" % r)


def compare(ctx, recs, inputs, top_k, interval=1):
    """recs (the tool's, all inputs in order) against the element's metadata."""
    i = 0
    for given, path in inputs:
        ref = ctx.reference_records(path, top_k, interval) if ctx.reference else None
        mine = [r for r in recs[i:] if r["input"] == given]
        check(mine == recs[i:i + len(mine)], "records of %s are not together" % given)
        i += len(mine)
        check_form(mine, top_k)
        if ref is None:
            continue
        check(len(mine) == len(ref), "%s: %d records, the element classified %d frames" % (
            given, len(mine), len(ref)))
        for m, e in zip(mine, ref):
            where = "%s frame %s" % (given, e["frame"])
            check(m["frame"] == e["frame"], "%s: tool says frame %s" % (where, m["frame"]))
            if e["pts"] is None:
                check(m["timestamp"] is None, "%s: timestamp %r, PTS none" % (where, m["timestamp"]))
            else:
                check(m["timestamp"] is not None and abs(m["timestamp"] - e["pts"] / 1e9) < 1e-9,
                      "%s: timestamp %r, PTS %d ns" % (where, m["timestamp"], e["pts"]))
            check(m["labels"] == e["labels"], "%s: labels %r != %r" % (where, m["labels"], e["labels"]))
            check(m["class_ids"] == e["class_ids"],
                  "%s: class ids %r != %r" % (where, m["class_ids"], e["class_ids"]))
            check(all(abs(a - b) <= 1e-6 for a, b in zip(m["scores"], e["scores"])),
                  "%s: scores %r != %r" % (where, m["scores"], e["scores"]))
    check(i == len(recs), "%d records of unknown inputs" % (len(recs) - i))


def case_jsonl(ctx):
    clip = ctx.make_clip()
    # A name that needs JSON escaping: quote, backslash, comma, non-ASCII.
    png = ctx.make_png('still "é", \\ 1.png')
    png2 = ctx.make_png("still2.png", pattern="ball")
    os.chdir(ctx.work)
    inputs = [(clip, clip), (os.path.basename(png), png), ("file://" + png2, png2)]
    rc, out, err = ctx.run(["--weights", ctx.weights, "--top-k", "3"] + [g for g, _ in inputs])
    check(rc == 0, "exit %d: %s" % (rc, err))
    recs = parse_jsonl(out)
    check(all(line.startswith("{") for line in out.splitlines()), "stdout holds more than records")
    check(len(recs) == CLIP_FRAMES + 2, "%d records for %d frames + 2 images" % (
        len(recs), CLIP_FRAMES))
    check([r["frame"] for r in recs[:CLIP_FRAMES]] == list(range(CLIP_FRAMES)),
          "clip frames: %r" % [r["frame"] for r in recs])
    check(recs[CLIP_FRAMES]["input"] == os.path.basename(png), "input as given: %r" % recs[CLIP_FRAMES])
    compare(ctx, recs, inputs, 3)
    # The clip's summary on stderr, none for the single images.
    check("%s: %d frames, %d classified; most frequent top-1 labels:" % (clip, CLIP_FRAMES, CLIP_FRAMES)
          in err, "no summary of the clip on stderr: %r" % err)
    top1 = {}
    for r in recs[:CLIP_FRAMES]:
        top1.setdefault(r["labels"][0], []).append(r["scores"][0])
    want = sorted(top1.items(), key=lambda kv: (-len(kv[1]), kv[0].encode()))[:5]
    got = [re.match(r"^ +(\d+) frames? +mean score ([0-9.]+)  (.*)$", line)
           for line in err.split(clip + ":", 1)[1].splitlines()[1:1 + len(want)]]
    check(all(got), "summary lines: %r" % err)
    for g, (label, scores) in zip(got, want):
        check(g.group(3) == label and int(g.group(1)) == len(scores) and
              abs(float(g.group(2)) - sum(scores) / len(scores)) < 1.5e-4,
              "summary line %r, want %d x %r mean %.5f" % (g.group(0), len(scores), label,
                                                        sum(scores) / len(scores)))
    check(os.path.basename(png) + ":" not in err and "still2" not in err,
          "a summary for a single image: %r" % err)
    # --quiet: nothing on stderr.
    rc, out2, err2 = ctx.run(["-q", "--weights", ctx.weights, "--top-k", "3", clip])
    check(rc == 0 and err2 == "" and len(out2.splitlines()) == CLIP_FRAMES,
          "--quiet: exit %d, stderr %r" % (rc, err2))
    # Names with control characters (U+001F included: json-glib 1.6 leaves it unescaped) and with
    # bytes that are not UTF-8: the records are strict JSON, the strings escaped as before.
    ctrl = "tab\there\nnl\x01\x1f\x7f.png"
    latin = b"lat\xe9\xff.png"
    shutil.copy(png2, ctrl)
    shutil.copy(png2, latin)
    rc, out3, err3 = ctx.run(["-q", "--weights", ctx.weights, "--top-k", "3", "still2.png", ctrl,
                              latin])
    check(rc == 0, "odd names: exit %d: %s" % (rc, err3))
    lines = out3.splitlines()
    odd = parse_jsonl(out3)  # json.loads is strict: no raw control character in a string
    check(len(odd) == 3, "odd names: %d records" % len(odd))
    check([r["input"] for r in odd] == ["still2.png", ctrl, "lat\ufffd\ufffd.png"],
          "odd names: inputs %r" % [r["input"] for r in odd])
    check(lines[1].startswith('{"input":"tab\\there\\nnl\\u0001\\u001f\\u007f.png","frame":0,'),
          "control characters not escaped as \\t, \\n, \\u00XX: %r" % lines[1])
    check(lines[0].startswith('{"input":"still2.png","frame":0,"timestamp":0.0,"labels":["'),
          "record text: %r" % lines[0])
    for r in odd[1:]:
        check(dict(r, input=None) == dict(odd[0], input=None), "odd names: %r != %r" % (r, odd[0]))
    print("jsonl: %d records equal to the element's metadata" % len(recs))


def case_csv(ctx):
    clip = ctx.make_clip()
    png = ctx.make_png('a, "quoted" name.png')
    out_path = os.path.join(ctx.work, "out.csv")
    inputs = [(clip, clip), (png, png)]
    rc, out, err = ctx.run(["--weights=" + ctx.weights, "--top-k=2", "--format", "csv",
                            "--output", out_path, clip, png])
    check(rc == 0, "exit %d: %s" % (rc, err))
    check(out == "", "records on stdout with --output: %r" % out[:200])
    with open(out_path, encoding="utf-8", newline="") as f:
        text = f.read()
    recs = parse_csv(text)
    check(len(recs) == CLIP_FRAMES + 1, "%d records" % len(recs))
    check(all(len(r["labels"]) == 2 for r in recs), "not 2 rows per frame")
    check(('\n"%s",' % png.replace('"', '""')) in text, "input not quoted per RFC 4180")
    compare(ctx, recs, inputs, 2)
    # The same run as JSON lines gives the same records.
    rc, out, err = ctx.run(["-q", "--weights", ctx.weights, "--top-k", "2", clip, png])
    check(rc == 0, "exit %d: %s" % (rc, err))
    js = parse_jsonl(out)
    for a, b in zip(js, recs):
        check(a["labels"] == b["labels"] and a["class_ids"] == b["class_ids"] and
              a["frame"] == b["frame"] and a["input"] == b["input"] and
              a["timestamp"] == b["timestamp"] and a["scores"] == b["scores"],
              "CSV and JSON lines differ: %r %r" % (a, b))
    print("csv: %d records equal to the element's metadata and to the JSON lines" % len(recs))


def case_interval(ctx):
    clip = ctx.make_clip()
    rc, out, err = ctx.run(["-q", "--weights", ctx.weights, "--interval", "3", "--top-k", "1", clip])
    check(rc == 0, "exit %d: %s" % (rc, err))
    recs = parse_jsonl(out)
    frames = [r["frame"] for r in recs]
    check(frames == list(range(0, CLIP_FRAMES, 3)), "--interval 3 gave frames %r" % frames)
    check(all(abs(r["timestamp"] - r["frame"] * 0.1) < 1e-9 for r in recs),
          "timestamps %r" % [r["timestamp"] for r in recs])
    compare(ctx, recs, [(clip, clip)], 1, interval=3)
    print("interval: frames %r" % frames)
    # --format text: the same records, one readable line each
    rc, text, err = ctx.run(["-q", "--weights", ctx.weights, "--interval", "3", "--top-k", "2",
                             "--format", "text", clip])
    check(rc == 0, "text: exit %d: %s" % (rc, err))
    lines = text.splitlines()
    check(len(lines) == len(recs), "text: %d lines for %d records" % (len(lines), len(recs)))
    for line, r in zip(lines, recs):
        want = "%s  frame %4d  " % (clip, r["frame"])
        check(line.startswith(want) and (" %s " % r["labels"][0]) in line, "text line %r" % line)


def one_line_error(rc, err, want_rc, *words):
    lines = err.strip("\n").split("\n")
    check(rc == want_rc, "exit %d (want %d): %r" % (rc, want_rc, err))
    check(len(lines) == 1 and lines[0].startswith("effnet-classify: "),
          "not one line on stderr: %r" % err)
    for w in words:
        check(w in lines[0], "%r not in %r" % (w, lines[0]))
    return lines[0]


def case_errors(ctx):
    png = ctx.make_png("img.png")
    png2 = ctx.make_png("img2.png", pattern="ball")
    w = ["--weights", ctx.weights]
    seen = []

    missing = os.path.join(ctx.work, "no-such-clip.mkv")
    rc, out, err = ctx.run(w + [missing])
    seen.append(one_line_error(rc, err, 1, missing, "no such file"))
    check(out == "", "output for a missing file")

    notmedia = os.path.join(ctx.work, "notes.txt")
    with open(notmedia, "w") as f:
        f.write("these are not pixels\n" * 10)
    rc, out, err = ctx.run(w + [notmedia])
    seen.append(one_line_error(rc, err, 1, notmedia, "not an image or video"))
    check(out == "", "output for a text file")

    rc, out, err = ctx.run(w + [ctx.work])
    seen.append(one_line_error(rc, err, 1, ctx.work, "folder"))

    # Issue 9, defect 9: the reader goes away (`| head -1`): one sentence and exit 1, not a death by
    # SIGPIPE. The clip is long enough that records are still coming when the pipe closes.
    longclip = ctx.make_clip("long.mkv", frames=200)
    p = subprocess.Popen([ctx.tool] + w + ["-q", longclip], env=ctx.env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    first = p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read().decode("utf-8", "replace")
    rc = p.wait(timeout=600)
    check(len(parse_jsonl(first.decode())) == 1, "| head -1: the first record %r" % first)
    seen.append(one_line_error(rc, err, 1, "standard output was closed by its reader"))

    # A full disk part-way through a record (here a file size limit, which fails the same way):
    # one sentence, exit 1, and the file holds whole records only.
    import resource
    limited = os.path.join(ctx.work, "limited.jsonl")
    p = subprocess.run([ctx.tool] + w + ["-q", "-o", limited, longclip], env=ctx.env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000)))
    seen.append(one_line_error(p.returncode, p.stderr.decode("utf-8", "replace"), 1, limited,
                               "File too large", "every record written is complete"))
    with open(limited, "rb") as f:
        text = f.read().decode()
    check(len(text) <= 2000 and text.endswith("\n") and len(parse_jsonl(text)) >= 1,
          "size-limited output is not whole records: %r" % text[-200:])

    # Usage errors: exit 2, one line, nothing run.
    for args, word in [(["--bogus", png], "unknown option '--bogus'"),
                       (["-x", png], "unknown option '-x'"),
                       (w, "no input"),
                       (w + ["--top-k", "0", png], "--top-k"),
                       (w + ["--top-k", "1001", png], "--top-k"),
                       (w + ["--interval", "x", png], "--interval"),
                       (w + ["--interval", "0", png], "--interval"),
                       (w + ["--format", "xml", png], "--format"),
                       (w + ["--variant", "b9", png], "--variant"),
                       (w + ["--output"], "option --output needs a value"),
                       (w + ["-o"], "option --output needs a value"),
                       (w + [png, "--top-k"], "option --top-k needs a value"),
                       (w + ["--top-k=", png], "--top-k must be an integer from 1 to 1000, not ''"),
                       (w + ["--top-k", "-5", png], "not '-5'"),
                       (w + ["--format=xml", png], "--format must be jsonl, dlstreamer, csv or text, not 'xml'"),
                       (["--weights=", png], "--weights needs a file or folder name"),
                       (w + ["--output=", png], "--output needs a file name"),
                       (w + ["--bogus=3", png], "unknown option '--bogus=3'"),
                       (w + [png, "--bogus"], "unknown option '--bogus'")]:
        rc, out, err = ctx.run(args)
        seen.append(one_line_error(rc, err, 2, word))
        check(out == "", "output for a usage error")
    for h in ["--help", "-h"]:
        rc, out, err = ctx.run(w + [h, "--bogus"])
        check(rc == 0 and "effnet-classify [OPTION" in out and err == "", "%s: %d %r" % (h, rc, err))
        # Every option is listed, with its short name where it has one.
        for o in ["--weights=W", "--variant=bN", "--top-k=K", "--interval=N", "--format=F",
                  "-o, --output=FILE", "-q, --quiet", "-h, --help"]:
            check(o in out, "%s: %r not in %r" % (h, o, out))
    # "--" ends the options: what follows is an input even if it starts with '-'.
    rc, out, err = ctx.run(w + ["--", "--bogus"])
    seen.append(one_line_error(rc, err, 1, "--bogus: no such file"))

    # Stops at the first failing input: the records before it stay, nothing after it.
    rc, out, err = ctx.run(w + ["-q", png, missing, png2])
    seen.append(one_line_error(rc, err, 1, missing))
    recs = parse_jsonl(out)
    check([r["input"] for r in recs] == [png], "records: %r" % [r["input"] for r in recs])

    # Weights that do not exist: the element's sentence.
    rc, out, err = ctx.run(["--weights", os.path.join(ctx.work, "nope"), png])
    seen.append(one_line_error(rc, err, 1, "Could not load the EfficientNet weights"))
    check(out == "", "output without weights")
    rc, out, err = ctx.run(w + ["--variant", "b3", png])
    seen.append(one_line_error(rc, err, 1))

    # Output that cannot be opened or written.
    rc, out, err = ctx.run(w + ["-o", os.path.join(ctx.work, "no-dir", "x.jsonl"), png])
    seen.append(one_line_error(rc, err, 1, "cannot open", "no-dir"))
    if os.path.exists("/dev/full"):
        rc, out, err = ctx.run(w + ["-o", "/dev/full", png])
        seen.append(one_line_error(rc, err, 1, "cannot write", "/dev/full"))

    # No video stream (a WAV file), when the plugins to make and read one are there.
    Gst = ctx.Gst
    if all(Gst.ElementFactory.find(e) for e in ("audiotestsrc", "wavenc", "wavparse")):
        wav = os.path.join(ctx.work, "tone.wav")
        ctx.gst_run("audiotestsrc num-buffers=10 ! wavenc ! filesink location=\"%s\"" % wav)
        rc, out, err = ctx.run(w + [wav])
        seen.append(one_line_error(rc, err, 1, wav, "no video stream"))
    else:
        print("(no audiotestsrc/wavenc/wavparse: WAV case skipped)")

    # No decoder: the same PNG with a plugin folder that lacks libgstpng.so.
    sysdir = ctx.env.get("GST_PLUGIN_SYSTEM_PATH", "")
    if sysdir and os.path.isdir(sysdir):
        nopng = os.path.join(ctx.work, "system-plugins-without-png")
        shutil.rmtree(nopng, ignore_errors=True)
        os.makedirs(nopng)
        for name in os.listdir(sysdir):
            if name != "libgstpng.so":
                os.symlink(os.path.realpath(os.path.join(sysdir, name)), os.path.join(nopng, name))
        env = dict(ctx.env, GST_PLUGIN_SYSTEM_PATH=nopng, GST_PLUGIN_SYSTEM_PATH_1_0=nopng,
                   GST_REGISTRY=os.path.join(ctx.work, "registry-nopng.bin"),
                   GST_REGISTRY_1_0=os.path.join(ctx.work, "registry-nopng.bin"))
        rc, out, err = ctx.run(w + [png], env=env)
        seen.append(one_line_error(rc, err, 1, png, "PNG"))

    # The element: found next to the program (<exe dir>/../gst-plugin) without GST_PLUGIN_PATH ...
    reg = os.path.join(ctx.work, "registry-noplugin.bin")
    env = dict(ctx.env, GST_PLUGIN_PATH="", GST_PLUGIN_PATH_1_0="", GST_REGISTRY=reg,
               GST_REGISTRY_1_0=reg)
    rc, out, err = ctx.run(w + ["-q", png], env=env)
    check(rc == 0 and len(parse_jsonl(out)) == 1, "no GST_PLUGIN_PATH: exit %d: %s" % (rc, err))
    # ... and a clear error where there is none.
    bindir = os.path.join(ctx.work, "bin")
    os.makedirs(bindir, exist_ok=True)
    lonely = os.path.join(bindir, "effnet-classify")
    shutil.copy(ctx.tool, lonely)
    rc, out, err = ctx.run(w + [png], env=env, tool=lonely)
    seen.append(one_line_error(rc, err, 1, "the efficientnet GStreamer element is not installed",
                               "GST_PLUGIN_PATH", "libgstefficientnet.so"))
    for line in seen:
        print("  " + line)
    print("errors: %d cases" % len(seen))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["jsonl", "csv", "interval", "errors"])
    ap.add_argument("--tool", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--no-reference", action="store_true")
    args = ap.parse_args()
    try:
        import gi  # noqa: F401
    except ImportError:
        print("python3-gi is not installed: skipped")
        sys.exit(SKIP)
    args.work = os.path.join(args.work, args.case)
    shutil.rmtree(args.work, ignore_errors=True)
    ctx = Ctx(args)
    globals()["case_" + args.case](ctx)


if __name__ == "__main__":
    main()
