#!/usr/bin/env node
// Time one ONNX model with ONNX Runtime (onnxruntime-node) on the CPU.
//
//   node bench/ort_bench.js MODEL.onnx THREADS SIZE [--runs R] [--warmup W] [--batch B]
//
// MODEL.onnx takes a float32 input of shape [B,3,SIZE,SIZE] (B = 1 unless --batch;
// a batch above 1 needs a model with a free batch dimension, bench/make_models.py
// --dynamic-batch). The session uses
// THREADS intra-op threads, 1 inter-op thread and all graph optimisations.
// The input is random (timing does not depend on the values). After W warm-up
// runs (default 2), R timed runs (default 10) are made, one at a time.
// Details are printed on stdout before it, among them cpu_ms_per_image=X (the
// process's CPU time per image); the LAST line is always
//   ms_per_image=X.XXX
// (the median of the timed runs, divided by B), which is what bench/compare.sh reads.
//
// onnxruntime-node is looked up next to this script (bench/node_modules), as
// installed by bench/compare.sh:
//   npm install --ignore-scripts --no-save --prefix bench onnxruntime-node@1.30.0

'use strict';

const path = require('path');
const { performance } = require('perf_hooks');

function usage(msg) {
  if (msg) console.error('ort_bench.js: ' + msg);
  console.error('usage: node ort_bench.js MODEL.onnx THREADS SIZE [--runs R] [--warmup W] [--batch B]');
  process.exit(2);
}

function parseArgs(argv) {
  const positional = [];
  const opts = { runs: 10, warmup: 2, batch: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs' || a === '--warmup' || a === '--batch') {
      if (i + 1 >= argv.length) usage(a + ' needs a value');
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < (a === '--warmup' ? 0 : 1)) usage('bad value for ' + a);
      opts[a.slice(2)] = v;
    } else if (a === '-h' || a === '--help') {
      usage();
    } else if (a.startsWith('--')) {
      usage('unknown option ' + a);
    } else {
      positional.push(a);
    }
  }
  if (positional.length !== 3) usage('expected MODEL.onnx THREADS SIZE');
  opts.model = positional[0];
  opts.threads = Number(positional[1]);
  opts.size = Number(positional[2]);
  if (!Number.isInteger(opts.threads) || opts.threads < 1) usage('THREADS must be a positive integer');
  if (!Number.isInteger(opts.size) || opts.size < 1) usage('SIZE must be a positive integer');
  return opts;
}

function median(values) {
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function loadOrt() {
  // ORT_MODULE: another copy of the package (bench/compare.sh ORT_ISA=avx2 points it at the one
  // bench/ort_no_avx512.py makes).
  if (process.env.ORT_MODULE) return require(process.env.ORT_MODULE);
  try {
    return require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));
  } catch (e) {
    // Fall back to the normal module search path.
    return require('onnxruntime-node');
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const ort = loadOrt();

  const t0 = performance.now();
  const session = await ort.InferenceSession.create(opts.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const loadMs = performance.now() - t0;

  const dims = [opts.batch, 3, opts.size, opts.size];
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.random() * 2 - 1;
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };

  for (let i = 0; i < opts.warmup; i++) await session.run(feeds);

  const times = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < opts.runs; i++) {
    const start = performance.now();
    await session.run(feeds);
    times.push(performance.now() - start);
  }
  // CPU time of the process per image (mean), as effnet bench prints it.
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / opts.runs / opts.batch;

  const med = median(times);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  console.log(`model=${opts.model} threads=${opts.threads} size=${opts.size} batch=${opts.batch} ` +
              `ort=${ort.env && ort.env.versions ? ort.env.versions.common : '?'}`);
  console.log(`load_ms=${loadMs.toFixed(1)} warmup=${opts.warmup} runs=${opts.runs} ` +
              `min_ms=${Math.min(...times).toFixed(3)} mean_ms=${mean.toFixed(3)} ` +
              `max_ms=${Math.max(...times).toFixed(3)}`);
  console.log(`cpu_ms_per_image=${cpuMs.toFixed(3)}`);
  console.log(`ms_per_image=${(med / opts.batch).toFixed(3)}`);
}

main().catch((e) => {
  console.error('ort_bench.js: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
