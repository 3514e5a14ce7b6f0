#!/usr/bin/python3
"""Compare `effnet run` logits with PyTorch (torchvision EfficientNet with seeded random, calibrated weights).

    /usr/bin/python3 tests/pytorch/test_vs_pytorch.py --effnet build/effnet --out tests/out/pytorch \
        [--variants 0,1,...,7] [--quick] [--dry-run] [--f64] [--cases REGEX] [--isa I] [--gemm ours|openblas]

For every case: write weights (+ config.json where the case says) and X.npy (float32 [3,3,S,S], N(0,1), seeded)
under --out/<case>/, compute PyTorch's logits, run

    effnet run --weights W --input X.npy --logits-out Y.npy --top-k 5 [--variant bN] [--padding same]

and require: exit code 0; Y.npy float [N, classes]; ||y-ref||/||ref|| <= 1e-4 (reference: PyTorch in float32 on the
very weights stored in the file, i.e. F16/BF16-rounded for those cases); the same top-5 classes per image, in order
(a swap is allowed only where the two reference logits are within 1e-5 relative); batch-centred logits
||yc-refc||/||refc|| <= 1e-3; and ||refc||/||ref|| >= 0.05 (PyTorch's own output really depends on the input).

Generated cases are cached under --out/<case>/ (meta.json holds VERSION and the case spec; a change regenerates).
--dry-run does everything but calling effnet: it re-reads every written weights file and checks it against the
reference model's tensors, and checks that the comparison accepts a near-copy of the reference and rejects
input-independent logits. --f64 additionally reports PyTorch's float32-vs-float64 error per case (conditioning).
--quick: B0/B1 and the small cases only (for sanitizer builds).
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

try:
    import numpy as np
    import torch
    import torchvision  # noqa: F401
except ImportError as e:  # e.g. run with a python3 that is not Debian's /usr/bin/python3
    print(f'SKIP: {e} (run with /usr/bin/python3: python3-torch, python3-torchvision)')
    sys.exit(77)          # meson's "skipped"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refmodels as rm  # noqa: E402

VERSION = 1            # bump when the generated models or inputs change: cached cases are regenerated
N_IMAGES = 3
REL_TOL_F32 = 1e-4     # ||y-ref|| / ||ref||
CENTRED_TOL = 1e-3     # ||yc-refc|| / ||refc||
MIN_INPUT_DEPENDENCE = 0.05
TIE_REL = 1e-5

FAMILY_SEED = {'tv': 1, 'timm': 2, 'tf': 3}


def make_cases():
    """Case specs. 'family' fixes the network (eps, padding) and the seed; 'naming' the tensor names."""
    cases = []

    def add(name, variant, family, naming, dtype='F32', classes=1000, layout='file', flags=(), group=''):
        eps = {'tv': rm.TORCHVISION_EPS[variant], 'timm': rm.TIMM_EPS, 'tf': rm.TF_EPS}[family]
        cases.append(dict(name=name, variant=variant, family=family, naming=naming, eps=eps,
                          same=(family == 'tf'), dtype=dtype, classes=classes, layout=layout,
                          flags=list(flags), group=group,
                          seed=1000 * variant + FAMILY_SEED[family] + (10 if classes != 1000 else 0)))

    for v in range(8):
        add(f'tv_b{v}_f32', v, 'tv', 'tv', group='a')
        add(f'timm_b{v}_f32', v, 'timm', 'timm', group='b')
    for v, fam in ((0, 'tv'), (0, 'timm'), (2, 'tv')):
        for dt in ('F16', 'BF16'):
            add(f'{fam}_b{v}_{dt.lower()}', v, fam, fam, dtype=dt, group='c')
    for v in (0, 5):
        add(f'tf_b{v}_dir', v, 'tf', 'timm', layout='dir', group='d')
        add(f'tf_b{v}_file', v, 'tf', 'timm', flags=['--padding', 'same'], group='d')
    add('tv_b1_variant', 1, 'tv', 'tv', flags=['--variant', 'b1'], group='e')
    add('tv_b0_c37', 0, 'tv', 'tv', classes=37, group='f')
    add('timm_b0_c37', 0, 'timm', 'timm', classes=37, group='f')
    return cases


def case_spec(c):
    return {k: c[k] for k in ('variant', 'family', 'naming', 'eps', 'same', 'dtype', 'classes', 'layout', 'seed')}


# ---------------------------------------------------------------------------------------------------------------

class BaseModels:
    """Builds calibrated PyTorch models, keeping the most recent one (cases are ordered so bases repeat)."""

    def __init__(self):
        self.key = None
        self.model = None
        self.build_s = 0.0

    def get(self, c):
        key = (c['variant'], c['family'], c['classes'], c['seed'])
        if key != self.key:
            t0 = time.time()
            self.model = None
            m = rm.build_torchvision(c['variant'], c['seed'], eps=c['eps'], same_padding=c['same'],
                                     num_classes=c['classes'])
            rm.calibrate_bn(m, rm.RESOLUTION[c['variant']], c['seed'])
            self.model, self.key = m, key
            self.build_s = time.time() - t0
            return m, self.build_s
        return self.model, 0.0


def input_for(variant):
    size = rm.RESOLUTION[variant]
    rng = np.random.default_rng(20240 + variant)
    return rng.standard_normal((N_IMAGES, 3, size, size)).astype(np.float32)


def paths_for(out, c):
    d = os.path.join(out, c['name'])
    if c['layout'] == 'dir':
        weights = os.path.join(d, 'model')                    # folder: model.safetensors + config.json
        wfile = os.path.join(weights, 'model.safetensors')
    else:
        weights = wfile = os.path.join(d, f"{c['name']}.safetensors")   # bare file, no config.json beside it
    return dict(dir=d, weights=weights, wfile=wfile, x=os.path.join(d, 'X.npy'), ref=os.path.join(d, 'ref.npy'),
                y=os.path.join(d, 'Y.npy'), meta=os.path.join(d, 'meta.json'))


def cached(p, c):
    try:
        with open(p['meta']) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None
    if meta.get('version') != VERSION or meta.get('spec') != case_spec(c):
        return None
    if not all(os.path.exists(p[k]) for k in ('wfile', 'x', 'ref')):
        return None
    return meta


def verify_file(p, c, sd):
    """Re-read the written weights with refmodels' own reader and compare with the reference model's tensors."""
    loaded = rm.load_safetensors(p['wfile'])
    if set(loaded) != set(sd):
        return f'tensor names differ: {sorted(set(loaded) ^ set(sd))[:4]}'
    for k, t in sd.items():
        dt, a = loaded[k]
        want = 'I64' if not t.is_floating_point() else c['dtype']
        if dt != want or list(a.shape) != list(t.shape) or not np.array_equal(a, t.numpy()):
            return f'tensor {k} differs ({dt} {list(a.shape)})'
    if c['layout'] == 'dir':
        with open(os.path.join(p['weights'], 'config.json')) as f:
            cfg = json.load(f)
        if cfg['architecture'] != f"tf_efficientnet_b{c['variant']}" or cfg['num_classes'] != c['classes']:
            return 'config.json wrong'
    elif os.path.exists(os.path.join(os.path.dirname(p['wfile']), 'config.json')):
        return 'a bare-file case has a config.json beside it'
    return None


def generate(p, c, bases, check_file):
    """Write weights, X.npy, ref.npy and meta.json of one case; return (meta, seconds spent)."""
    t0 = time.time()
    base, _ = bases.get(c)
    v = c['variant']
    model = base
    if c['dtype'] != 'F32':
        model = rm.build_torchvision(v, c['seed'], eps=c['eps'], same_padding=c['same'], num_classes=c['classes'])
        model.load_state_dict(base.state_dict())
        rm.round_model_weights(model, c['dtype'])
    x = input_for(v)
    t1 = time.time()
    ref = rm.logits_of(model, x)
    fwd_s = time.time() - t1
    sd = model.state_dict()
    if c['naming'] == 'timm':
        sd = rm.to_timm_state_dict(sd, v)
    if os.path.isdir(p['dir']):
        shutil.rmtree(p['dir'])
    os.makedirs(os.path.dirname(p['wfile']), exist_ok=True)
    rm.save_safetensors(sd, p['wfile'], c['dtype'])
    if c['layout'] == 'dir':
        rm.write_timm_config(p['weights'], v, tf=(c['family'] == 'tf'), num_classes=c['classes'])
    np.save(p['x'], x)
    np.save(p['ref'], ref)
    err = verify_file(p, c, sd) if check_file else None
    if err:
        raise RuntimeError(f"{c['name']}: written weights do not read back: {err}")
    meta = {'version': VERSION, 'spec': case_spec(c), 'ref_forward_s': round(fwd_s, 2),
            'generate_s': round(time.time() - t0, 2)}
    with open(p['meta'], 'w') as f:
        json.dump(meta, f, indent=1)
    return meta, model


def f64_error(model, x, ref):
    """PyTorch's own float32 error against a float64 run of the same weights."""
    import copy
    m64 = copy.deepcopy(model).double()
    with torch.no_grad():
        y64 = m64(torch.from_numpy(x).double()).numpy()
    return float(np.linalg.norm(ref - y64) / np.linalg.norm(y64))


# ---------------------------------------------------------------------------------------------------------------

def compare(y, ref, rel_tol=REL_TOL_F32):
    """Return (metrics dict, list of failure strings)."""
    fails = []
    m = {'rel': float('nan'), 'cen': float('nan'), 'dep': float('nan')}
    refc = ref - ref.mean(axis=0, keepdims=True)
    m['dep'] = float(np.linalg.norm(refc) / np.linalg.norm(ref))
    if m['dep'] < MIN_INPUT_DEPENDENCE:
        fails.append(f"reference logits hardly depend on the input (||refc||/||ref|| = {m['dep']:.2e})")
    if y.shape != ref.shape:
        fails.append(f'logits shape {list(y.shape)}, expected {list(ref.shape)}')
        return m, fails
    if not np.issubdtype(y.dtype, np.floating):
        fails.append(f'logits dtype {y.dtype}')
        return m, fails
    y = y.astype(np.float64)
    ref = ref.astype(np.float64)
    if not np.isfinite(y).all():
        fails.append('non-finite logits')
        return m, fails
    m['rel'] = float(np.linalg.norm(y - ref) / np.linalg.norm(ref))
    if not m['rel'] <= rel_tol:
        fails.append(f"rel L2 {m['rel']:.3e} > {rel_tol:.0e}")
    yc = y - y.mean(axis=0, keepdims=True)
    refc = ref - ref.mean(axis=0, keepdims=True)
    m['cen'] = float(np.linalg.norm(yc - refc) / np.linalg.norm(refc))
    if not m['cen'] <= CENTRED_TOL:
        fails.append(f"centred rel L2 {m['cen']:.3e} > {CENTRED_TOL:.0e}")
    for i in range(ref.shape[0]):
        r5 = np.argsort(-ref[i], kind='stable')[:5]
        y5 = np.argsort(-y[i], kind='stable')[:5]
        for rank in range(5):
            if y5[rank] == r5[rank]:
                continue
            a, b = ref[i, y5[rank]], ref[i, r5[rank]]
            if abs(a - b) > TIE_REL * max(abs(a), abs(b)):
                fails.append(f'image {i}: top-5 {y5.tolist()} vs reference {r5.tolist()}')
                break
    return m, fails


def run_effnet(effnet, p, c, timeout, isa=None, gemm=None):
    y_path = p['y'].replace('.npy', ''.join('_' + s for s in (isa, gemm) if s) + '.npy')
    # a cross-built effnet runs through EFFNET_EXE_WRAPPER (tests/meson.build sets it from the cross file)
    cmd = shlex.split(os.environ.get('EFFNET_EXE_WRAPPER', ''))
    cmd += [effnet, 'run', '--weights', p['weights'], '--input', p['x'], '--logits-out', y_path, '--top-k', '5']
    cmd += c['flags']
    if isa:
        cmd += ['--isa', isa]
    if gemm:
        cmd += ['--gemm', gemm]
    if os.path.exists(y_path):
        os.remove(y_path)
    t0 = time.time()
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, time.time() - t0, [f'timed out after {timeout} s: {" ".join(cmd)}']
    dt = time.time() - t0
    tail = lambda b: b.decode('utf-8', 'replace')[-1500:]
    if r.returncode != 0:
        return None, dt, [f'exit code {r.returncode}: {" ".join(cmd)}\n--- stdout:\n{tail(r.stdout)}'
                          f'\n--- stderr:\n{tail(r.stderr)}']
    try:
        y = np.load(y_path)
    except Exception as e:  # noqa: BLE001
        return None, dt, [f'cannot read {y_path}: {e}: {" ".join(cmd)}\n--- stderr:\n{tail(r.stderr)}']
    return y, dt, []


def dry_run_checks(ref):
    """The comparison must accept a near-copy and reject logits that ignore the input."""
    rng = np.random.default_rng(1)
    near = ref + (1e-6 * np.linalg.norm(ref) / np.sqrt(ref.size)) * rng.standard_normal(ref.shape)
    _, f_near = compare(near.astype(np.float32), ref)
    const = np.repeat(ref.mean(axis=0, keepdims=True), ref.shape[0], axis=0)
    _, f_const = compare(const.astype(np.float32), ref)
    out = []
    if f_near:
        out.append(f'dry-run: comparison rejects a 1e-6 perturbation: {f_near}')
    if not f_const:
        out.append('dry-run: comparison accepts input-independent logits')
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--effnet', help='path to the effnet binary (not needed with --dry-run)')
    ap.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'out', 'pytorch'))
    ap.add_argument('--variants', default='0,1,2,3,4,5,6,7', help='variants whose cases run (comma list)')
    ap.add_argument('--quick', action='store_true', help='only B0, B1 and the small cases')
    ap.add_argument('--dry-run', action='store_true', help='generate and self-check, do not call effnet')
    ap.add_argument('--f64', action='store_true', help='also report PyTorch float32 vs float64 error')
    ap.add_argument('--cases', default=None, help='regex: only cases whose name matches')
    ap.add_argument('--timeout', type=float, default=1800, help='seconds per effnet call')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--isa', default=None, help='force the engine\'s kernels: scalar, avx2, avx512, neon (skips the '
                    'test, exit 77, when the CPU lacks them)')
    ap.add_argument('--gemm', default=None, help='the 1x1 convolutions\' backend: ours or openblas (skips the '
                    'test, exit 77, when the build has no OpenBLAS)')
    a = ap.parse_args()
    if a.isa in ('avx2', 'avx512'):
        need = {'avx2': ['avx2', 'fma'], 'avx512': ['avx512f', 'avx512bw', 'avx512dq', 'avx512vl']}[a.isa]
        try:
            flags = open('/proc/cpuinfo').read().split()
        except OSError:
            flags = []
        if not all(f in flags for f in need):
            print(f'this CPU lacks {a.isa}: skipped')
            sys.exit(77)
    if not a.dry_run and not a.effnet:
        ap.error('--effnet is required (or --dry-run)')
    if a.effnet:
        a.effnet = os.path.abspath(a.effnet)
        if not a.dry_run and not os.access(a.effnet, os.X_OK):
            ap.error(f'{a.effnet} is not an executable')
    torch.set_num_threads(a.threads)
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)

    variants = {int(s) for s in a.variants.split(',') if s.strip()}
    if a.quick:
        variants &= {0, 1}
    cases = [c for c in make_cases() if c['variant'] in variants]
    if a.cases:
        cases = [c for c in cases if re.search(a.cases, c['name'])]
    # group cases sharing a PyTorch model
    cases.sort(key=lambda c: (c['variant'], c['family'], c['classes'], c['dtype'] != 'F32', c['name']))
    if not cases:
        print('no cases selected')
        return 2

    bases = BaseModels()
    failures = []
    t_start = time.time()
    print(f"{'case':16s} {'wts':4s} {'gen_s':>6s} {'ref_s':>6s} {'run_s':>6s} {'rel_L2':>9s} {'centred':>9s} "
          f"{'dep':>5s} {'f32vf64':>8s}  result", flush=True)
    for c in cases:
        p = paths_for(out, c)
        fails = []
        gen_s = 0.0
        model = None
        meta = cached(p, c)
        try:
            if meta is None:
                t0 = time.time()
                meta, model = generate(p, c, bases, check_file=True)
                gen_s = time.time() - t0
            ref = np.load(p['ref'])
        except Exception as e:  # noqa: BLE001
            failures.append((c['name'], [f'generation failed: {e!r}']))
            print(f"{c['name']:16s} GENERATION FAILED: {e!r}", flush=True)
            continue
        f64 = ''
        if a.f64:
            if model is None:
                model, _ = bases.get(c)
                if c['dtype'] != 'F32':
                    mr = rm.build_torchvision(c['variant'], c['seed'], eps=c['eps'], same_padding=c['same'],
                                              num_classes=c['classes'])
                    mr.load_state_dict(model.state_dict())
                    model = rm.round_model_weights(mr, c['dtype'])
            f64 = f"{f64_error(model, np.load(p['x']), ref):8.1e}"
        run_s = 0.0
        if a.dry_run:
            m, fails = compare(ref, ref)
            fails += dry_run_checks(ref)
        else:
            y, run_s, fails = run_effnet(a.effnet, p, c, a.timeout, a.isa, a.gemm)
            if a.isa and fails and 'kernels are not available' in fails[0]:
                print(f'this build of effnet has no {a.isa} kernels: skipped')
                sys.exit(77)
            if a.gemm and fails and 'no OpenBLAS backend' in fails[0]:
                print('this build of effnet has no OpenBLAS backend: skipped')
                sys.exit(77)
            m = {'rel': float('nan'), 'cen': float('nan'),
                 'dep': float(np.linalg.norm(ref - ref.mean(0)) / np.linalg.norm(ref))}
            if y is not None:
                m, fails = compare(y, ref)
        status = 'ok' if not fails else 'FAIL'
        print(f"{c['name']:16s} {c['dtype']:4s} {gen_s:6.1f} {meta.get('ref_forward_s', 0):6.1f} {run_s:6.1f} "
              f"{m['rel']:9.2e} {m['cen']:9.2e} {m['dep']:5.2f} {f64:>8s}  {status}", flush=True)
        if fails:
            failures.append((c['name'], fails))
    print(f'total {time.time() - t_start:.1f} s, {len(cases)} cases'
          + (' (dry run: effnet not called)' if a.dry_run else ''))
    if failures:
        print(f'\n{len(failures)} FAILED:')
        for name, fl in failures:
            print(f'  {name}:')
            for f in fl:
                print('    ' + f.replace('\n', '\n    '))
        return 1
    print('all passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
