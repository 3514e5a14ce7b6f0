#!/usr/bin/env python3
"""ort_no_avx512.py — a private copy of onnxruntime-node whose MLAS runs its AVX2 / FMA3 kernels,
as on a CPU without AVX-512, for bench/compare.sh ORT_ISA=avx2 (issue 8: "effnet / ORT on an
AVX2-only CPU", measured here on an AVX-512 CPU with both engines held to AVX2).

    /usr/bin/python3 bench/ort_no_avx512.py SRC_NODE_MODULES DEST_DIR

copies SRC_NODE_MODULES/onnxruntime-node and onnxruntime-common into DEST_DIR/node_modules and
changes one byte of the copy's libonnxruntime.so.1: in MLAS's platform set-up, the branch taken
when CPUID leaf 7 reports no AVX512F (`test $0x10000,%r10d; je`, followed by the XCR0 test of the
AVX-512 register state) becomes unconditional, so MLAS keeps the AVX2 kernels it chose just before,
exactly as on such a CPU. Built for onnxruntime-node 1.30.0 (linux x64); it refuses, with a
sentence, a library where that instruction sequence is not found exactly once. The original package
is not touched.
"""
import shutil
import sys
from pathlib import Path

# test $0x10000,%r10d ; je +0x0e ; mov %r8,%rax ; not %rax ; test $0xe0,%al
PATTERN = bytes.fromhex("41f7c200000100" "740e" "4c89c0" "48f7d0" "a8e0")
JE_OFFSET = 7  # the je's opcode within PATTERN
LIB = Path("onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1")


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    src, dest = Path(argv[1]), Path(argv[2]) / "node_modules"
    if not (src / LIB).is_file():
        print(f"ort_no_avx512.py: no {src / LIB} (run bench/compare.sh once to install ONNX Runtime)",
              file=sys.stderr)
        return 1
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for pkg in ("onnxruntime-node", "onnxruntime-common"):
        if (src / pkg).is_dir():
            shutil.copytree(src / pkg, dest / pkg, symlinks=True)
    lib = dest / LIB
    data = bytearray(lib.read_bytes())
    at = data.find(PATTERN)
    if at < 0 or data.find(PATTERN, at + 1) >= 0:
        print(f"ort_no_avx512.py: MLAS's AVX-512 check was found {0 if at < 0 else 'more than'} once in {lib};"
              " this script knows onnxruntime-node 1.30.0 only", file=sys.stderr)
        shutil.rmtree(dest)
        return 1
    data[at + JE_OFFSET] = 0xEB  # je rel8 -> jmp rel8
    lib.write_bytes(bytes(data))
    print(f"ort_no_avx512.py: {lib}: AVX-512 kernels off (byte {at + JE_OFFSET:#x})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
