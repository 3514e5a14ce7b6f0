#!/usr/bin/python3
"""Cross-checks nn/cli/npy.c against numpy itself.

Usage: test_npy_numpy.py PATH/TO/npy_roundtrip

For each array: numpy writes it (np.save, or format.write_array with
version 2.0 / 3.0), the C helper reads it and writes it back, and numpy loads
the result. The values must be bit-identical, and the C writer's file must be
byte-identical to what np.save writes for the same array. Files the C reader
must refuse are checked for exit status 1 and a useful message.
Exits non-zero when anything fails.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np


def arrays():
    rng = np.random.default_rng(1234)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4e38], np.float32)
    yield "scalar", np.array(3.5, np.float32)
    yield "vec5", np.arange(5, dtype=np.float32) - 2.5
    yield "m23", rng.standard_normal((2, 3)).astype(np.float32)
    yield "special", special
    yield "img", rng.standard_normal((1, 3, 224, 224)).astype(np.float32)
    yield "logits", rng.standard_normal((2, 1000)).astype(np.float32)
    yield "empty", np.zeros((0,), np.float32)
    yield "empty203", np.zeros((2, 0, 3), np.float32)
    yield "dims8", rng.standard_normal((1, 2, 1, 3, 1, 2, 1, 2)).astype(np.float32)
    yield "bigdim", np.zeros((123456789, 0), np.float32)


def run_helper(helper, src, dst):
    return subprocess.run([helper, src, dst], capture_output=True, text=True)


def same_bits(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
        a.view(np.uint32), b.view(np.uint32))


class Checker:
    def __init__(self, helper, tmp):
        self.helper, self.tmp, self.failures = helper, tmp, 0

    def fail(self, msg):
        self.failures += 1
        print("FAIL:", msg, file=sys.stderr)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def round_trip(self, name, arr, version):
        src, dst, ref = self.path(name + ".in.npy"), self.path(name + ".out.npy"), self.path(name + ".ref.npy")
        with open(src, "wb") as f:
            if version is None:
                np.save(f, arr)
            else:
                np.lib.format.write_array(f, arr, version=version)
        r = run_helper(self.helper, src, dst)
        tag = "%s (version %s)" % (name, version or "np.save")
        if r.returncode != 0:
            self.fail("%s: helper failed: %s" % (tag, r.stderr.strip()))
            return
        try:
            back = np.load(dst)
        except ValueError as e:
            self.fail("%s: np.load refuses the C writer's file: %s" % (tag, e))
            return
        if not same_bits(arr, back):
            self.fail("%s: values or shape differ after the round trip: %s vs %s" % (tag, arr.shape, back.shape))
        np.save(ref, arr)
        with open(ref, "rb") as f1, open(dst, "rb") as f2:
            want, got = f1.read(), f2.read()
        if want != got:
            self.fail("%s: C writer output differs from np.save (%d vs %d bytes; headers %r vs %r)"
                      % (tag, len(got), len(want), got[:128], want[:128]))

    def reject(self, name, arr, want, writer=np.save):
        src, dst = self.path(name + ".bad.npy"), self.path(name + ".never.npy")
        with open(src, "wb") as f:
            writer(f, arr)
        r = run_helper(self.helper, src, dst)
        if r.returncode != 1:
            self.fail("%s: helper exit %d, want 1" % (name, r.returncode))
        if want not in r.stderr or src not in r.stderr:
            self.fail("%s: message lacks %r or the file name: %r" % (name, want, r.stderr))
        if os.path.exists(dst):
            self.fail("%s: output written despite the error" % name)

    def raw_reject(self, name, data, want):
        src, dst = self.path(name + ".raw.npy"), self.path(name + ".never.npy")
        with open(src, "wb") as f:
            f.write(data)
        r = run_helper(self.helper, src, dst)
        if r.returncode != 1 or want not in r.stderr:
            self.fail("%s: exit %d, message %r (want %r)" % (name, r.returncode, r.stderr, want))


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    helper = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="test_npy_numpy.") as tmp:
        c = Checker(helper, tmp)
        for name, arr in arrays():
            for version in (None, (1, 0), (2, 0), (3, 0)):
                c.round_trip(name, arr, version)
        m23 = np.zeros((2, 3), np.float32)
        c.reject("f8", m23.astype(np.float64),
                 "dtype '<f8' is not supported; save the array as float32 (np.float32)")
        c.reject("f2", m23.astype(np.float16), "dtype '<f2' is not supported")
        c.reject("u8", m23.astype(np.uint8), "dtype '|u1' is not supported")
        c.reject("big_endian", m23.astype(">f4"), "big-endian")
        c.reject("fortran", np.asfortranarray(m23), "fortran_order")
        c.reject("structured", np.zeros(3, dtype=[("a", "<f4")]), "structured dtype")
        good = c.path("good.npy")
        np.save(good, np.zeros((1, 3, 224, 224), np.float32))
        with open(good, "rb") as f:
            full = f.read()
        c.raw_reject("truncated", full[:1128],
                     "expected 602112 bytes of float32 data for shape (1, 3, 224, 224), found 1000")
        c.raw_reject("trailing", full + b"\0\0\0\0",
                     "expected 602112 bytes of float32 data for shape (1, 3, 224, 224), found 602116")
        c.raw_reject("bad_magic", b"PK\x03\x04" + full[4:], "bad magic")
        if c.failures:
            print("test_npy_numpy: %d failure(s)" % c.failures, file=sys.stderr)
            return 1
    print("test_npy_numpy: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
