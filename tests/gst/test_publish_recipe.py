#!/usr/bin/env python3
"""pipelines/rtsp_to_mqtt.sh against a real broker (meson test gst-publish-recipe).

    test_publish_recipe.py ROOT WEIGHTS WORK

Starts mosquitto on 127.0.0.1 on a free port (a config file in WORK), subscribes with mosquitto_sub,
runs the recipe with --test-source (a live videotestsrc) for a few seconds, and checks that records
arrived, each DL Streamer's gvametaconvert JSON for a 320x240 frame, with the recipe's source and a
classification. A second run with --format effnet checks the fuller record. Exit 77 (skipped, with
a message) where mosquitto or mosquitto_sub is not installed (Debian: mosquitto, mosquitto-clients;
scripts/deps.sh test installs both).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    fail("mosquitto did not listen on %d within %d s" % (port, seconds))


def run_recipe(root, weights, port, topic, fmt):
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", topic,
                            "-q", "1", "-C", "2", "-W", "60"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)  # subscribed before the first record
    p = subprocess.run([os.path.join(root, "pipelines", "rtsp_to_mqtt.sh"), "--weights", weights,
                        "--broker", "127.0.0.1:%d" % port, "--topic", topic, "--format", fmt,
                        "--test-source", "--seconds", "6"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        fail("rtsp_to_mqtt.sh exited with %d:\n%s" % (p.returncode, p.stderr.decode()))
    try:
        out, err = sub.communicate(timeout=70)
    except subprocess.TimeoutExpired:
        sub.kill()
        out, err = sub.communicate()
    lines = [l for l in out.decode().splitlines() if l]
    if len(lines) < 2:
        fail("%s: %d records received (mosquitto_sub: %s); the recipe said:\n%s"
             % (fmt, len(lines), err.decode().strip(), p.stderr.decode()))
    records = [json.loads(l) for l in lines]
    for r in records:
        if r["resolution"] != {"width": 320, "height": 240}:
            fail("resolution %s" % r["resolution"])
        if r["source"] != "videotestsrc" or not isinstance(r["timestamp"], int):
            fail("source or timestamp: %s" % r)
        (obj,) = r["objects"]
        if (obj["x"], obj["y"], obj["w"], obj["h"]) != (0, 0, 320, 240):
            fail("the full-frame object: %s" % obj)
        c = obj["classification"]
        if not (isinstance(c["label"], str) and 0 <= c["label_id"] < 1000
                and 0 < c["confidence"] <= 1 and c["model"]["name"] == "efficientnet-b0"):
            fail("classification: %s" % c)
        if fmt == "effnet" and not ("frame" in r and r["stale"] is True and "top" in c):
            fail("not the effnet record (async: stale results): %s" % r)
        if fmt == "dlstreamer" and "frame" in r:
            fail("an effnet field in a dlstreamer record: %s" % r)
    if records[1]["timestamp"] <= records[0]["timestamp"]:
        fail("records out of order")
    print("%s: %d records, e.g. %s" % (fmt, len(records), lines[0]))


def main():
    root, weights, work = sys.argv[1:4]
    broker = shutil.which("mosquitto") or ("/usr/sbin/mosquitto"
                                            if os.access("/usr/sbin/mosquitto", os.X_OK) else None)
    if broker is None or shutil.which("mosquitto_sub") is None:
        print("SKIP: mosquitto and mosquitto_sub are not installed (Debian: apt-get install "
              "mosquitto mosquitto-clients; scripts/deps.sh test installs them)")
        sys.exit(77)
    os.makedirs(work, exist_ok=True)
    port = free_port()
    conf = os.path.join(work, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\n" % port)
    proc = subprocess.Popen([broker, "-c", conf], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        run_recipe(root, weights, port, "effnet/recipe", "dlstreamer")
        run_recipe(root, weights, port, "effnet/recipe-full", "effnet")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print("PASS")


if __name__ == "__main__":
    main()
