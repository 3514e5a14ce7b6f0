"""Reference EfficientNet B0-B7 models for testing the `effnet` engine against PyTorch.

Run with Debian's interpreter (/usr/bin/python3: python3-torch 1.13, python3-torchvision 0.14).

What is here:
  build_torchvision()     torchvision EfficientNet with seeded random weights (optionally other BN eps,
                          optionally TensorFlow-SAME padding on the stride-2 convs, as timm's tf_efficientnet_b*)
  calibrate_bn()          replaces BatchNorm running statistics by statistics measured on random inputs
                          (random statistics make the network's output ignore its input, see
                          shared/reference/efficientnet.md, "Testing with random weights")
  to_timm_state_dict()    torchvision tensor names -> timm tensor names (and from_timm_state_dict() back)
  save_safetensors()      F32 / F16 / BF16 safetensors writer; load_safetensors() reads one back
  round_model_weights()   rounds a model's float tensors to F16 / BF16 values (kept in float32)
  write_timm_config()     config.json as in timm's Hugging Face repos
  logits_of()             float32 numpy logits

`/usr/bin/python3 tests/pytorch/refmodels.py --selftest [--variants 0,1,...]` checks this module by itself
(parameter counts, renaming coverage, safetensors round trips, SAME-padding shapes, calibration).
"""

import json
import math
import os
import re
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

# ---------------------------------------------------------------------------------------------------------------
# Architecture facts (shared/reference/efficientnet.md)

RESOLUTION = {0: 224, 1: 240, 2: 260, 3: 300, 4: 380, 5: 456, 6: 528, 7: 600}
HEAD_WIDTH = {0: 1280, 1: 1280, 2: 1408, 3: 1536, 4: 1792, 5: 2048, 6: 2304, 7: 2560}
STEM_WIDTH = {0: 32, 1: 32, 2: 32, 3: 40, 4: 48, 5: 48, 6: 56, 7: 64}
STAGE_WIDTHS = {
    0: (16, 24, 40, 80, 112, 192, 320),
    1: (16, 24, 40, 80, 112, 192, 320),
    2: (16, 24, 48, 88, 120, 208, 352),
    3: (24, 32, 48, 96, 136, 232, 384),
    4: (24, 32, 56, 112, 160, 272, 448),
    5: (24, 40, 64, 128, 176, 304, 512),
    6: (32, 40, 72, 144, 200, 344, 576),
    7: (32, 48, 80, 160, 224, 384, 640),
}
REPEATS = {
    0: (1, 2, 2, 3, 3, 4, 1),
    1: (2, 3, 3, 4, 4, 5, 2),
    2: (2, 3, 3, 4, 4, 5, 2),
    3: (2, 3, 3, 5, 5, 6, 2),
    4: (2, 4, 4, 6, 6, 8, 2),
    5: (3, 5, 5, 7, 7, 9, 3),
    6: (3, 6, 6, 8, 8, 11, 3),
    7: (4, 7, 7, 10, 10, 13, 4),
}
PARAMS = {0: 5288548, 1: 7794184, 2: 9109994, 3: 12233232, 4: 19341616, 5: 30389784, 6: 43040704, 7: 66347960}
STAGE_KERNELS = (3, 3, 5, 3, 5, 5, 3)
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)
STAGE_EXPAND = (1, 6, 6, 6, 6, 6, 6)

TORCHVISION_EPS = {v: (1e-5 if v <= 4 else 1e-3) for v in range(8)}
TIMM_EPS = 1e-5       # timm efficientnet_bN
TF_EPS = 1e-3         # timm tf_efficientnet_bN, Keras

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
TF_CROP_PCT = {0: 0.875, 1: 0.882, 2: 0.890, 3: 0.904, 4: 0.922, 5: 0.934, 6: 0.942, 7: 0.949}


# ---------------------------------------------------------------------------------------------------------------
# Models

class Conv2dSame(nn.Conv2d):
    """Conv2d with TensorFlow 'SAME' padding computed from the actual input size:
    pad_total = max((ceil(H/s)-1)*s + (k-1)*d + 1 - H, 0), pad_total//2 before (top/left), the rest after."""

    @staticmethod
    def _pad_total(size, k, s, d):
        return max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)

    def forward(self, x):
        ih, iw = x.shape[-2:]
        ph = self._pad_total(ih, self.kernel_size[0], self.stride[0], self.dilation[0])
        pw = self._pad_total(iw, self.kernel_size[1], self.stride[1], self.dilation[1])
        if ph or pw:
            x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _to_same_padding(model):
    """Replace every stride-2 Conv2d by a Conv2dSame sharing its parameters (state-dict names unchanged)."""
    replaced = 0
    for name, mod in list(model.named_modules()):
        if type(mod) is not nn.Conv2d:
            continue
        k, s = mod.kernel_size, mod.stride
        if s == (1, 1):
            # symmetric (k-1)//2 equals SAME for odd k at stride 1
            assert k[0] % 2 == 1 and k[1] % 2 == 1 and mod.padding == ((k[0] - 1) // 2, (k[1] - 1) // 2), name
            continue
        new = Conv2dSame(mod.in_channels, mod.out_channels, k, stride=s, padding=0, dilation=mod.dilation,
                         groups=mod.groups, bias=mod.bias is not None)
        new.weight = mod.weight
        if mod.bias is not None:
            new.bias = mod.bias
        parent_name, _, child = name.rpartition('.')
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, new)
        replaced += 1
    return replaced


def build_torchvision(variant: int, seed: int, eps=None, same_padding=False, num_classes=1000,
                      randomize_se_bias=True) -> nn.Module:
    """torchvision efficientnet_b{variant}(weights=None), eval mode, seeded random weights.

    Conv and Linear weights keep torchvision's init (drawn after torch.manual_seed(seed)); every BatchNorm gets
    weight U(0.5,1.5), bias N(0,0.1) (running stats stay 0/1: call calibrate_bn()); the classifier bias and (unless
    randomize_se_bias=False) the SE convs' biases, which torchvision initialises to zero, get N(0,0.1)."""
    assert variant in RESOLUTION
    torch.manual_seed(seed)
    model = getattr(torchvision.models, f'efficientnet_b{variant}')(weights=None, num_classes=num_classes)
    gen = torch.Generator().manual_seed(seed + 7919)
    with torch.no_grad():
        for name, mod in model.named_modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.weight.copy_(torch.rand(mod.weight.shape, generator=gen) + 0.5)
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=gen) * 0.1)
                if eps is not None:
                    mod.eps = float(eps)
            elif isinstance(mod, nn.Conv2d) and mod.bias is not None and randomize_se_bias:
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=gen) * 0.1)
        lin = model.classifier[1]
        lin.bias.copy_(torch.randn(lin.bias.shape, generator=gen) * 0.1)
    if same_padding:
        n = _to_same_padding(model)
        assert n == 1 + 4, n   # stem + the first depthwise conv of the four stride-2 stages
    model.eval()
    return model


def default_calib_batch(size):
    """Calibration batch size: statistics quality hardly matters, time does (2 cores)."""
    if size <= 260:
        return 8
    if size <= 380:
        return 4
    return 2


def calibrate_bn(model, size, seed, batches=2, batch_size=None):
    """Replace every BatchNorm's running statistics by the cumulative average of batch statistics over `batches`
    random N(0,1) batches of [batch_size,3,size,size] (only the BN layers in train mode, so stochastic depth and
    dropout stay off), then eval()."""
    if batch_size is None:
        batch_size = default_calib_batch(size)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    model.eval()
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    gen = torch.Generator().manual_seed(seed + 104729)
    with torch.no_grad():
        for _ in range(batches):
            x = torch.randn((batch_size, 3, size, size), generator=gen)
            model(x)
    model.eval()
    for m in bns:
        m.momentum = 0.1
    return model


def logits_of(model, x):
    """float32 numpy logits of model(x) under torch.no_grad (x: numpy array or tensor [N,3,H,W])."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    model.eval()
    with torch.no_grad():
        y = model(x.float())
    return y.detach().cpu().numpy().astype(np.float32)


def round_model_weights(model, dtype):
    """Set every float parameter/buffer to its value rounded to dtype ('F16'/'BF16'; 'F32' is a no-op)."""
    tdt = {'F32': None, 'F16': torch.float16, 'BF16': torch.bfloat16}[dtype]
    if tdt is None:
        return model
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                r = t.to(tdt).to(t.dtype)
                assert torch.isfinite(r).all(), 'rounding overflow'
                t.copy_(r)
    return model


# ---------------------------------------------------------------------------------------------------------------
# Naming

_TIMM_E1 = {'block.0.0': 'conv_dw', 'block.0.1': 'bn1', 'block.1.fc1': 'se.conv_reduce',
            'block.1.fc2': 'se.conv_expand', 'block.2.0': 'conv_pw', 'block.2.1': 'bn2'}
_TIMM_E6 = {'block.0.0': 'conv_pw', 'block.0.1': 'bn1', 'block.1.0': 'conv_dw', 'block.1.1': 'bn2',
            'block.2.fc1': 'se.conv_reduce', 'block.2.fc2': 'se.conv_expand', 'block.3.0': 'conv_pwl',
            'block.3.1': 'bn3'}
_TOP = {'features.0.0': 'conv_stem', 'features.0.1': 'bn1', 'features.8.0': 'conv_head', 'features.8.1': 'bn2',
        'classifier.1': 'classifier'}
_BLOCK_RE = re.compile(r'^features\.([1-7])\.(\d+)\.(block\.\d+\.(?:\d+|fc1|fc2))\.([a-z_]+)$')
_TOP_RE = re.compile(r'^(features\.[08]\.[01]|classifier\.1)\.([a-z_]+)$')


def _expanded_blocks(keys):
    """{(stage, block): True if the block has an expand conv} from torchvision key names (block.3 exists)."""
    out = {}
    for k in keys:
        m = _BLOCK_RE.match(k)
        if m:
            sj = (int(m.group(1)), int(m.group(2)))
            out[sj] = out.get(sj, False) or m.group(3).startswith('block.3.')
    return out


def to_timm_state_dict(tv_state_dict, variant):
    """torchvision EfficientNet state dict -> timm names (same tensors; num_batches_tracked kept)."""
    expanded = _expanded_blocks(tv_state_dict.keys())
    # sanity against the architecture table
    for s in range(1, 8):
        n = sum(1 for (st, _) in expanded if st == s)
        assert n == REPEATS[variant][s - 1], (variant, s, n)
        for j in range(n):
            assert expanded[(s, j)] == (STAGE_EXPAND[s - 1] != 1), (variant, s, j)
    out = {}
    for k, v in tv_state_dict.items():
        m = _TOP_RE.match(k)
        if m:
            nk = f'{_TOP[m.group(1)]}.{m.group(2)}'
        else:
            m = _BLOCK_RE.match(k)
            if not m:
                raise KeyError(f'unexpected torchvision tensor {k}')
            s, j, part, leaf = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
            table = _TIMM_E6 if expanded[(s, j)] else _TIMM_E1
            if part not in table:
                raise KeyError(f'unexpected torchvision tensor {k}')
            nk = f'blocks.{s - 1}.{j}.{table[part]}.{leaf}'
        if nk in out:
            raise KeyError(f'two tensors map to {nk}')
        out[nk] = v
    assert len(out) == len(tv_state_dict)
    return out


def from_timm_state_dict(timm_state_dict):
    """Inverse of to_timm_state_dict (expanded blocks recognised by conv_pwl)."""
    inv_top = {v: k for k, v in _TOP.items()}
    inv_e1 = {v: k for k, v in _TIMM_E1.items()}
    inv_e6 = {v: k for k, v in _TIMM_E6.items()}
    expanded = set()
    for k in timm_state_dict:
        m = re.match(r'^blocks\.(\d+)\.(\d+)\.conv_pwl\.', k)
        if m:
            expanded.add((int(m.group(1)), int(m.group(2))))
    out = {}
    for k, v in timm_state_dict.items():
        m = re.match(r'^blocks\.(\d+)\.(\d+)\.(.+)\.([a-z_]+)$', k)
        if m:
            s, j = int(m.group(1)), int(m.group(2))
            table = inv_e6 if (s, j) in expanded else inv_e1
            nk = f'features.{s + 1}.{j}.{table[m.group(3)]}.{m.group(4)}'
        else:
            prefix, _, leaf = k.rpartition('.')
            nk = f'{inv_top[prefix]}.{leaf}'
        assert nk not in out
        out[nk] = v
    return out


# ---------------------------------------------------------------------------------------------------------------
# safetensors

_ST_SIZE = {'F32': 4, 'F16': 2, 'BF16': 2, 'I64': 8}


def _f32_to_bf16_bits(a):
    """float32 array -> uint16 bfloat16 bit patterns, round to nearest even (NaN kept NaN)."""
    b = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (b + 0x7FFF + ((b >> 16) & 1)) >> 16
    out = rounded.astype(np.uint16)
    nan = np.isnan(a)
    if nan.any():
        out[nan] = 0x7FC0
    return out


def _bf16_bits_to_f32(u16):
    return (u16.astype(np.uint32) << 16).view(np.float32)


def _tensor_bytes(t, dtype):
    """(safetensors dtype, raw little-endian bytes) of a tensor in the requested float dtype."""
    t = t.detach().cpu().contiguous()
    if not t.is_floating_point():
        assert t.dtype == torch.int64, t.dtype
        return 'I64', t.numpy().astype('<i8').tobytes()
    a = t.float().numpy()
    if dtype == 'F32':
        return 'F32', a.astype('<f4').tobytes()
    if dtype == 'F16':
        h = a.astype('<f2')
        assert np.isfinite(h).all(), 'F16 overflow'
        return 'F16', h.tobytes()
    if dtype == 'BF16':
        return 'BF16', _f32_to_bf16_bits(a).astype('<u2').tobytes()
    raise ValueError(dtype)


def save_safetensors(state_dict, path, dtype='F32', metadata=None):
    """Write a safetensors file: float tensors as dtype (F32/F16/BF16), int64 tensors as I64.
    Data is laid out largest element size first (then by name), so every tensor is aligned to its element size;
    the JSON header is padded with spaces to a multiple of 8."""
    entries = []
    for name, t in state_dict.items():
        st_dtype, raw = _tensor_bytes(t, dtype)
        entries.append((name, st_dtype, list(t.shape), raw))
    entries.sort(key=lambda e: (-_ST_SIZE[e[1]], e[0]))
    header = {'__metadata__': dict(metadata or {'format': 'pt'})}
    off = 0
    for name, st_dtype, shape, raw in entries:
        assert off % _ST_SIZE[st_dtype] == 0
        header[name] = {'dtype': st_dtype, 'shape': shape, 'data_offsets': [off, off + len(raw)]}
        off += len(raw)
    hj = json.dumps(header, separators=(',', ':')).encode('utf-8')
    hj += b' ' * ((-len(hj)) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(hj)))
        f.write(hj)
        for _, _, _, raw in entries:
            f.write(raw)
    os.replace(tmp, path)


def load_safetensors(path):
    """Small independent reader: {name: (dtype string, numpy array; floats as float32, I64 as int64)}."""
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    assert 8 + n <= len(data)
    header = json.loads(data[8:8 + n].decode('utf-8'))
    base = 8 + n
    out = {}
    spans = []
    for name, info in header.items():
        if name == '__metadata__':
            continue
        dt, shape, (b, e) = info['dtype'], info['shape'], info['data_offsets']
        size = _ST_SIZE[dt]
        assert 0 <= b <= e <= len(data) - base and b % size == 0
        assert (e - b) == size * int(np.prod(shape, dtype=np.int64)), name
        raw = data[base + b:base + e]
        if dt == 'F32':
            a = np.frombuffer(raw, '<f4').astype(np.float32)
        elif dt == 'F16':
            a = np.frombuffer(raw, '<f2').astype(np.float32)
        elif dt == 'BF16':
            a = _bf16_bits_to_f32(np.frombuffer(raw, '<u2'))
        else:
            a = np.frombuffer(raw, '<i8').astype(np.int64)
        out[name] = (dt, a.reshape(shape))
        spans.append((b, e))
    spans.sort()
    for (b0, e0), (b1, e1) in zip(spans, spans[1:]):
        assert e0 <= b1, 'overlapping tensors'
    assert (spans[-1][1] if spans else 0) == len(data) - base, 'trailing bytes'
    return out


# ---------------------------------------------------------------------------------------------------------------
# timm config.json

def write_timm_config(folder, variant, tf: bool, num_classes=1000):
    """config.json as in timm's Hugging Face hub repos (timm/efficientnet_bN.*, timm/tf_efficientnet_bN.*)."""
    size = RESOLUTION[variant]
    pool = math.ceil(size / 32)
    cfg = {
        'architecture': f'tf_efficientnet_b{variant}' if tf else f'efficientnet_b{variant}',
        'num_classes': num_classes,
        'num_features': HEAD_WIDTH[variant],
        'pretrained_cfg': {
            'tag': 'in1k' if tf else 'ra_in1k',
            'custom_load': False,
            'input_size': [3, size, size],
            'fixed_input_size': False,
            'interpolation': 'bicubic',
            'crop_pct': TF_CROP_PCT[variant] if tf else 0.875,
            'crop_mode': 'center',
            'mean': IMAGENET_MEAN,
            'std': IMAGENET_STD,
            'num_classes': num_classes,
            'pool_size': [pool, pool],
            'first_conv': 'conv_stem',
            'classifier': 'classifier',
        },
    }
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, 'config.json')
    with open(path, 'w') as f:
        json.dump(cfg, f, indent=4)
        f.write('\n')
    return path


# ---------------------------------------------------------------------------------------------------------------
# Self test

def _timm_expected_keys(variant, num_classes=1000):
    """Every timm tensor name with its shape, built from the architecture table alone."""
    bn = lambda p, c: {f'{p}.weight': [c], f'{p}.bias': [c], f'{p}.running_mean': [c], f'{p}.running_var': [c],
                       f'{p}.num_batches_tracked': []}
    keys = {'conv_stem.weight': [STEM_WIDTH[variant], 3, 3, 3]}
    keys.update(bn('bn1', STEM_WIDTH[variant]))
    cin = STEM_WIDTH[variant]
    for s in range(7):
        cout, k, e = STAGE_WIDTHS[variant][s], STAGE_KERNELS[s], STAGE_EXPAND[s]
        for j in range(REPEATS[variant][s]):
            p = f'blocks.{s}.{j}'
            mid, se = cin * e, max(1, cin // 4)
            if e == 1:
                keys[f'{p}.conv_dw.weight'] = [mid, 1, k, k]
                keys.update(bn(f'{p}.bn1', mid))
                keys[f'{p}.conv_pw.weight'] = [cout, mid, 1, 1]
                keys.update(bn(f'{p}.bn2', cout))
            else:
                keys[f'{p}.conv_pw.weight'] = [mid, cin, 1, 1]
                keys.update(bn(f'{p}.bn1', mid))
                keys[f'{p}.conv_dw.weight'] = [mid, 1, k, k]
                keys.update(bn(f'{p}.bn2', mid))
                keys[f'{p}.conv_pwl.weight'] = [cout, mid, 1, 1]
                keys.update(bn(f'{p}.bn3', cout))
            keys[f'{p}.se.conv_reduce.weight'] = [se, mid, 1, 1]
            keys[f'{p}.se.conv_reduce.bias'] = [se]
            keys[f'{p}.se.conv_expand.weight'] = [mid, se, 1, 1]
            keys[f'{p}.se.conv_expand.bias'] = [mid]
            cin = cout
    keys['conv_head.weight'] = [HEAD_WIDTH[variant], cin, 1, 1]
    keys.update(bn('bn2', HEAD_WIDTH[variant]))
    keys['classifier.weight'] = [num_classes, HEAD_WIDTH[variant]]
    keys['classifier.bias'] = [num_classes]
    return keys


def centred_ratio(y):
    """||y - mean over batch|| / ||y||: how much of the logits depends on the input."""
    yc = y - y.mean(axis=0, keepdims=True)
    return float(np.linalg.norm(yc) / np.linalg.norm(y))


def _selftest(variants):
    import tempfile
    import time
    torch.set_num_threads(2)
    tmp = tempfile.mkdtemp(prefix='refmodels_')
    ok = True

    def check(cond, msg):
        nonlocal ok
        print(('  ok   ' if cond else '  FAIL ') + msg, flush=True)
        ok = ok and bool(cond)

    # BF16 rounding: against torch's own conversion (round to nearest even)
    a = torch.randn(100000) * 10
    a[:4] = torch.tensor([1.0 + 2 ** -8, 1.0 + 3 * 2 ** -8, -1.0 - 2 ** -8, 3.0e38])
    ours = _f32_to_bf16_bits(a.numpy())
    theirs = a.to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    check(np.array_equal(ours, theirs), 'BF16 rounding equals torch.bfloat16 (nearest even)')

    for v in variants:
        t0 = time.time()
        print(f'B{v}:', flush=True)
        m = build_torchvision(v, seed=100 + v)
        n_params = sum(p.numel() for p in m.parameters())
        check(n_params == PARAMS[v], f'parameter count {n_params} == {PARAMS[v]}')
        check(all(bn.eps == TORCHVISION_EPS[v] for bn in m.modules() if isinstance(bn, nn.BatchNorm2d)),
              f'torchvision default eps {TORCHVISION_EPS[v]}')
        sd = m.state_dict()
        tsd = to_timm_state_dict(sd, v)
        exp = _timm_expected_keys(v)
        check(set(tsd) == set(exp) and len(tsd) == len(sd),
              f'timm renaming: {len(sd)} tensors -> {len(tsd)} distinct names, equal to the table-derived set '
              f'({len(exp)}); missing {sorted(set(exp) - set(tsd))[:3]} extra {sorted(set(tsd) - set(exp))[:3]}')
        check(all(list(tsd[k].shape) == exp[k] for k in exp if k in tsd), 'timm shapes match the table')
        check(all(tsd[k] is sd[k2] for k2, k in zip(sd, tsd)), 'renaming keeps every tensor once, in order')
        back = from_timm_state_dict(tsd)
        check(list(back) == list(sd), 'from_timm_state_dict inverts to_timm_state_dict')
        n_e1 = sum(1 for k in tsd if k.endswith('conv_dw.weight') and 'blocks.0.' in k)
        check(n_e1 == REPEATS[v][0], f'{n_e1} expand-ratio-1 blocks in stage 1')

        # SAME padding: per-stage output shapes equal the symmetric model's
        size = RESOLUTION[v]
        ms = build_torchvision(v, seed=100 + v, eps=TF_EPS, same_padding=True)
        same_sd = ms.state_dict()
        check(list(same_sd) == list(sd) and all(torch.equal(same_sd[k], sd[k]) for k in sd if 'eps' not in k),
              'SAME model: same tensor names and values')
        for sz in ([size] + ([size + 1, 97] if v == 0 else [])):
            x = torch.randn(1, 3, sz, sz)
            shapes = []
            with torch.no_grad():
                for mod in (m, ms):
                    h, sh = x, []
                    for f in mod.features:
                        h = f(h)
                        sh.append(tuple(h.shape))
                    sh.append(tuple(mod(x).shape))
                    shapes.append(sh)
            check(shapes[0] == shapes[1], f'SAME vs symmetric stage shapes at {sz}: {shapes[1][-2]} {shapes[1][-1]}')
        # the SAME pads for the stem at this size
        pt = Conv2dSame._pad_total(size, 3, 2, 1)
        print(f'       SAME stem pad at {size}: ({pt // 2},{pt - pt // 2})')

        # calibration: input dependence
        calibrate_bn(m, size, seed=100 + v)
        x = np.random.default_rng(v).standard_normal((3, 3, size, size)).astype(np.float32)
        y = logits_of(m, x)
        r = centred_ratio(y)
        check(0.05 <= r, f'centred-logit ratio after calibration {r:.3f}')
        check(int(m.features[0][1].num_batches_tracked) == 2, 'num_batches_tracked == 2 after calibration')

        # safetensors round trips
        for dt in ('F32', 'F16', 'BF16'):
            for naming, d in (('tv', m.state_dict()), ('timm', to_timm_state_dict(m.state_dict(), v))):
                p = os.path.join(tmp, f'b{v}_{naming}_{dt}.safetensors')
                save_safetensors(d, p, dt)
                loaded = load_safetensors(p)
                good = set(loaded) == set(d)
                for k, t in d.items():
                    ldt, arr = loaded[k]
                    if t.is_floating_point():
                        ref = t.float().numpy()
                        if dt == 'F16':
                            ref = t.to(torch.float16).float().numpy()
                        elif dt == 'BF16':
                            ref = t.to(torch.bfloat16).float().numpy()
                        good &= ldt == dt and arr.dtype == np.float32 and np.array_equal(arr, ref)
                    else:
                        good &= ldt == 'I64' and np.array_equal(arr, t.numpy())
                    good &= list(arr.shape) == list(t.shape)
                with open(p, 'rb') as f:
                    n = struct.unpack('<Q', f.read(8))[0]
                check(good and n % 8 == 0, f'safetensors {naming} {dt} reads back equal ({os.path.getsize(p)} bytes)')
                os.remove(p)
        # rounding the model equals what the file stores
        for dt in ('F16', 'BF16'):
            mr = build_torchvision(v, seed=100 + v) if v <= 1 else None
            if mr is not None:
                mr.load_state_dict(m.state_dict())
                round_model_weights(mr, dt)
                p = os.path.join(tmp, 'r.safetensors')
                save_safetensors(m.state_dict(), p, dt)
                loaded = load_safetensors(p)
                good = all(np.array_equal(loaded[k][1], t.numpy()) for k, t in mr.state_dict().items())
                yr = logits_of(mr, x)
                check(good, f'round_model_weights({dt}) equals the stored {dt} values; logits moved by '
                            f'{np.linalg.norm(yr - y) / np.linalg.norm(y):.2e}')
                os.remove(p)
        print(f'       B{v} selftest {time.time() - t0:.1f} s', flush=True)
    cfgp = write_timm_config(tmp, 5, True)
    with open(cfgp) as f:
        cfg = json.load(f)
    check(cfg['architecture'] == 'tf_efficientnet_b5' and cfg['pretrained_cfg']['pool_size'] == [15, 15],
          'config.json written')
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    print('SELFTEST ' + ('PASSED' if ok else 'FAILED'))
    return ok


if __name__ == '__main__':
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument('--selftest', action='store_true')
    ap.add_argument('--variants', default='0,1,2,3,4,5,6,7')
    a = ap.parse_args()
    if a.selftest:
        sys.exit(0 if _selftest([int(s) for s in a.variants.split(',')]) else 1)
    ap.print_help()
