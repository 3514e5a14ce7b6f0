/* kernels.h — the compute kernels and their CPU dispatch table.
 *
 * Every family has a portable C version (kernels/FAMILY-scalar.c) and, on x86-64,
 * AVX2+FMA and AVX-512 versions compiled with their own -m flags; on AArch64
 * NEON versions (FAMILY-neon.c: NEON is part of the architecture, so they are
 * the baseline there). The table
 * is filled once, at model load, from the CPU's features (dispatch.c); nothing else
 * in the engine knows which ISA runs.
 *
 * Activations are NHWC (channels contiguous). 1x1 convolutions are GEMMs
 * C[M,N] = A[M,K] * B[K,N] with M = pixels, K = input channels, N = output
 * channels; B is packed at load into panels of 16 columns (zero padded).
 */
#ifndef EFFNET_KERNELS_H
#define EFFNET_KERNELS_H

#include <stddef.h>
#include <stdint.h>

typedef enum { ACT_NONE = 0, ACT_SILU, ACT_SIGMOID } Activation;

/* GEMM B layout: panel p (columns 16p .. 16p+15) is K rows of 16 floats,
 * panel p starts at b + p * K * 16. */
#define GEMM_NR 16
#define GEMM_MR_MAX 16

/* Micro-kernel: for rows i < mr (<= MR) and columns j < ncols (<= 16*nv):
 *   acc = sum_k a[i*lda + k] * panel[j/16][k*16 + j%16]
 *   c_rows[i][j] = act(acc + bias[j]) (+ res_rows[i][j] when res_rows != NULL)
 * A is read in place (rows lda floats apart, K contiguous): NHWC activations
 * are already the GEMM's A matrix, so nothing is packed. Panels are
 * `panel_stride` floats apart. */
typedef void (*GemmUkernelFn)(int K, const float *a, ptrdiff_t lda, const float *b, size_t panel_stride, int nv, int mr,
                              int ncols, float *const *c_rows, const float *bias, Activation act,
                              const float *const *res_rows);

/* Depthwise convolution, one output row:
 *   out[x*c + ch] = act(bias[ch] + sum_{ky,kx} in_rows[ky][(x*stride + kx)*c + ch] * w[(ky*k + kx)*cpad + ch])
 * for x < out_w, ch < c. in_rows[ky] (ky < k) is input row y*stride + ky of
 * the zero-padded input, starting at its left border: the rows need not be
 * evenly spaced (they may come from a ring buffer). w has cpad = round_up(c, 16)
 * floats per tap. When pool != NULL, pool[ch] += the sum of the row's outputs. */
typedef struct {
  int out_w, c, k, stride;
  const float *w, *bias;
  Activation act;
} DwconvArgs;
typedef void (*DwconvFn)(const DwconvArgs *a, const float *const *in_rows, float *out, float *pool);

/* y[i] = act(x[i]) for n floats (may alias). Not in the table: the engine
 * applies activations in the GEMM and depthwise epilogues; these are how
 * tests/test_kernels.c checks each ISA's vmath-*.h. */
typedef void (*VactFn)(const float *x, float *y, size_t n, Activation act);

/* The squeeze-excitation gate, on whichever side of the project GEMM is
 * smaller. scale_panels: rows r in [r0, r1) of packed GEMM weights (16 floats
 * each; row r is input channel r % K) times gate[r % K], into out (64-byte
 * aligned like b). scale_channels: pixels [p0, p1) of an NHWC tensor with C
 * channels, x[p*C + c] *= gate[c], in place. */
typedef void (*ScalePanelsFn)(const float *b, const float *gate, int K, size_t r0, size_t r1, float *out);
typedef void (*ScaleChannelsFn)(float *x, const float *gate, int C, size_t p0, size_t p1);

/* ---- the frame path (prep.c) ----
 * Samples are floats on the 0..255 scale. A resampling pass reads `lanes`
 * source rows at once (rows of one group, or channels of one packed row):
 * input j of lane l is src[l][j * step]. Each pass ends in one of: */
typedef enum {
  PASS_ROUND = 0, /* what Pillow does to an 8-bit result, exactly (resample-exact.h): clamp to
                    * [0, 255], then floor(v + 0.5) of the exact sum */
  PASS_CLAMP,     /* clamp to [0, 255] */
  PASS_LINEAR,    /* nothing: the filter alone */
} PassMode;

/* dst[i] = src[i], bytes to floats. */
typedef void (*UnpackU8Fn)(const uint8_t *src, size_t n, float *dst);

/* Horizontal pass, taps form: for x < n,
 *   dst[l][x] = mode(sum_k w[x * kmax + k] * src[l][(start[x] + k) * step]), k < count[x].
 * start[] is relative to the sources' first sample. The SIMD versions gather,
 * from the same taps stored tap-major for whole vectors of outputs: tap k
 * (k < kcol, the most any output has) of output x reads input
 * col[k * npad + x] with weight wt[k * npad + x] (npad = n rounded up to 16;
 * taps past count[x] weigh 0 and read a valid input), and write npad outputs
 * per lane. */
typedef struct {
  int n, kmax;
  const int *start, *count;
  const float *w;
  int npad, kcol;
  const int *col;
  const float *wt;
  float near; /* PASS_ROUND: a float sum is within this of the exact one */
} HTaps;
typedef void (*ResampleHTapsFn)(const HTaps *t, int step, int lanes, const float *const *src, float *const *dst,
                                PassMode mode);

/* Horizontal pass, dense form (SIMD): outputs in tiles of `tile`; tile i
 * reads inputs j0[i] .. j0[i] + len[i] - 1 with weights w_i[j * tile + o]
 * (zero where output o does not use input j), the tiles' weights stored one
 * after the other. Writes ntiles * tile outputs per lane (the caller pads).
 * `parts` > 1: each lane's span summed in that many interleaved parts (used
 * with one or two lanes, so that the FMAs do not wait on each other; a plan
 * gives every call of a group the same, so results never depend on how rows
 * were batched). `taps`: the same filter in the taps form, for PASS_ROUND's
 * exact outputs. */
typedef struct {
  int tile, ntiles;
  const int *j0, *len;
  const float *w;
  int parts;
  const HTaps *taps;
} HTiles;
typedef void (*ResampleHDenseFn)(const HTiles *t, int step, int lanes, const float *const *src, float *const *dst,
                                 PassMode mode);
#define RESAMPLE_MAX_LANES 8

/* Vertical pass: out[x] = mode(sum_t w[t] * rows[t][x]) for x < n. n is a
 * multiple of 16 (the caller's rows are padded). PASS_ROUND: `near` bounds
 * the float sum's error (resample-exact.h). */
typedef void (*ResampleVFn)(const float *const *rows, const float *w, int taps, int n, PassMode mode, float near,
                            float *out);

/* The last step of a row: component rows (RGB, or YUV through the matrix
 * m[12] = 3 rows of (y, u, v, offset), clamped to [0, 255]) normalized as
 * v * scale[c] + shift[c] into dst: planar (channel c at dst + c * chan_stride)
 * or interleaved (nhwc != 0: dst[3x + c]). n outputs. */
typedef void (*StoreRgbFn)(const float *const *comp, int n, const float *scale, const float *shift, float *dst,
                           ptrdiff_t chan_stride, int nhwc);
typedef void (*StoreYuvFn)(const float *const *comp, int n, const float *m, const float *scale, const float *shift,
                           float *dst, ptrdiff_t chan_stride, int nhwc);

typedef struct {
  const char *name; /* "scalar", "avx2", "avx512", "neon" */
  int mr;           /* rows per micro-kernel call */
  int nv;           /* preferred panels per micro-kernel call */
  GemmUkernelFn gemm;
  DwconvFn dwconv;
  ScalePanelsFn scale_panels;
  ScaleChannelsFn scale_channels;
  VactFn vact; /* the OpenBLAS backend's epilogue (gemm-blas.c); NULL: effnet_vact_scalar */
  /* frame path */
  UnpackU8Fn unpack_u8;
  ResampleHTapsFn resample_h_taps;
  ResampleHDenseFn resample_h_dense; /* NULL: the taps form only */
  int resample_tile;                 /* outputs per dense tile */
  float gather_cost;                 /* a gathered tap costs this many dense multiply-adds (0: no gathers) */
  ResampleVFn resample_v;
  StoreRgbFn store_rgb;
  StoreYuvFn store_yuv;
} Kernels;

/* Every ISA's kernels, named effnet_FAMILY[_SHAPE]_ISA (XNNPACK style): the
 * family (gemm, dwconv, vact, scale_panels, resample_h_taps, ...), then the
 * register tile when the kernel holds one — GEMM rows x columns and depthwise
 * outputs x channels (pixels x channels, like the GEMM), dense horizontal
 * resampling outputs per tile ("8x") — then the ISA. Kernels that stream one
 * vector (or one value) at a time have no shape: their width is the ISA's.
 * A new kernel: its file kernels/FAMILY-ISA.c, its prototype here, its
 * entry in dispatch.c's tables, its test in tests/test_kernels.c. */
#define EFFNET_SCALAR_MR 4
void effnet_gemm_4x16_scalar(int K, const float *a, ptrdiff_t lda, const float *b, size_t panel_stride, int nv, int mr,
                             int ncols, float *const *c_rows, const float *bias, Activation act,
                             const float *const *res_rows);
void effnet_dwconv_scalar(const DwconvArgs *a, const float *const *in_rows, float *out, float *pool);
void effnet_vact_scalar(const float *x, float *y, size_t n, Activation act);
void effnet_scale_panels_scalar(const float *b, const float *gate, int K, size_t r0, size_t r1, float *out);
void effnet_scale_channels_scalar(float *x, const float *gate, int C, size_t p0, size_t p1);
void effnet_unpack_u8_scalar(const uint8_t *src, size_t n, float *dst);
void effnet_resample_h_taps_scalar(const HTaps *t, int step, int lanes, const float *const *src, float *const *dst,
                                   PassMode mode);
void effnet_resample_v_scalar(const float *const *rows, const float *w, int taps, int n, PassMode mode, float near,
                              float *out);
void effnet_store_rgb_scalar(const float *const *comp, int n, const float *scale, const float *shift, float *dst,
                             ptrdiff_t chan_stride, int nhwc);
void effnet_store_yuv_scalar(const float *const *comp, int n, const float *m, const float *scale, const float *shift,
                             float *dst, ptrdiff_t chan_stride, int nhwc);

#if defined(EFFNET_HAVE_X86)
#define EFFNET_AVX2_MR 6
void effnet_gemm_6x16_avx2(int K, const float *a, ptrdiff_t lda, const float *b, size_t panel_stride, int nv, int mr,
                           int ncols, float *const *c_rows, const float *bias, Activation act,
                           const float *const *res_rows);
void effnet_dwconv_6x8_avx2(const DwconvArgs *a, const float *const *in_rows, float *out, float *pool);
void effnet_vact_avx2(const float *x, float *y, size_t n, Activation act);
void effnet_scale_panels_avx2(const float *b, const float *gate, int K, size_t r0, size_t r1, float *out);
void effnet_scale_channels_avx2(float *x, const float *gate, int C, size_t p0, size_t p1);
void effnet_unpack_u8_avx2(const uint8_t *src, size_t n, float *dst);
#define EFFNET_AVX2_RESAMPLE_TILE 8
void effnet_resample_h_taps_avx2(const HTaps *t, int step, int lanes, const float *const *src, float *const *dst,
                                 PassMode mode);
void effnet_resample_h_8x_avx2(const HTiles *t, int step, int lanes, const float *const *src, float *const *dst,
                               PassMode mode);
void effnet_resample_v_avx2(const float *const *rows, const float *w, int taps, int n, PassMode mode, float near,
                            float *out);
void effnet_store_rgb_avx2(const float *const *comp, int n, const float *scale, const float *shift, float *dst,
                           ptrdiff_t chan_stride, int nhwc);
void effnet_store_yuv_avx2(const float *const *comp, int n, const float *m, const float *scale, const float *shift,
                           float *dst, ptrdiff_t chan_stride, int nhwc);

#define EFFNET_AVX512_MR 8
#define EFFNET_AVX512_NV 3
void effnet_gemm_8x48_avx512(int K, const float *a, ptrdiff_t lda, const float *b, size_t panel_stride, int nv, int mr,
                             int ncols, float *const *c_rows, const float *bias, Activation act,
                             const float *const *res_rows);
void effnet_dwconv_8x16_avx512(const DwconvArgs *a, const float *const *in_rows, float *out, float *pool);
void effnet_vact_avx512(const float *x, float *y, size_t n, Activation act);
void effnet_scale_panels_avx512(const float *b, const float *gate, int K, size_t r0, size_t r1, float *out);
void effnet_scale_channels_avx512(float *x, const float *gate, int C, size_t p0, size_t p1);
void effnet_unpack_u8_avx512(const uint8_t *src, size_t n, float *dst);
#define EFFNET_AVX512_RESAMPLE_TILE 16
void effnet_resample_h_taps_avx512(const HTaps *t, int step, int lanes, const float *const *src, float *const *dst,
                                   PassMode mode);
void effnet_resample_h_16x_avx512(const HTiles *t, int step, int lanes, const float *const *src, float *const *dst,
                                  PassMode mode);
void effnet_resample_v_avx512(const float *const *rows, const float *w, int taps, int n, PassMode mode, float near,
                              float *out);
void effnet_store_rgb_avx512(const float *const *comp, int n, const float *scale, const float *shift, float *dst,
                             ptrdiff_t chan_stride, int nhwc);
void effnet_store_yuv_avx512(const float *const *comp, int n, const float *m, const float *scale, const float *shift,
                             float *dst, ptrdiff_t chan_stride, int nhwc);
#endif

#if defined(EFFNET_HAVE_NEON)
#define EFFNET_NEON_MR 6
void effnet_gemm_6x16_neon(int K, const float *a, ptrdiff_t lda, const float *b, size_t panel_stride, int nv, int mr,
                           int ncols, float *const *c_rows, const float *bias, Activation act,
                           const float *const *res_rows);
void effnet_dwconv_4x8_neon(const DwconvArgs *a, const float *const *in_rows, float *out, float *pool);
void effnet_vact_neon(const float *x, float *y, size_t n, Activation act);
void effnet_scale_panels_neon(const float *b, const float *gate, int K, size_t r0, size_t r1, float *out);
void effnet_scale_channels_neon(float *x, const float *gate, int C, size_t p0, size_t p1);
void effnet_unpack_u8_neon(const uint8_t *src, size_t n, float *dst);
#define EFFNET_NEON_RESAMPLE_TILE 4
void effnet_resample_h_taps_neon(const HTaps *t, int step, int lanes, const float *const *src, float *const *dst,
                                 PassMode mode);
void effnet_resample_h_4x_neon(const HTiles *t, int step, int lanes, const float *const *src, float *const *dst,
                               PassMode mode);
void effnet_resample_v_neon(const float *const *rows, const float *w, int taps, int n, PassMode mode, float near,
                            float *out);
void effnet_store_rgb_neon(const float *const *comp, int n, const float *scale, const float *shift, float *dst,
                           ptrdiff_t chan_stride, int nhwc);
void effnet_store_yuv_neon(const float *const *comp, int n, const float *m, const float *scale, const float *shift,
                           float *dst, ptrdiff_t chan_stride, int nhwc);
#endif

/* The table for an ISA (EFFNET_ISA_* from effnet.h), or NULL when this build
 * or this CPU lacks it. */
const Kernels *effnet_kernels_for(int isa);
/* The sentence for an ISA effnet_kernels_for() refused. */
void effnet_kernels_unavailable(int isa, char *err, size_t errlen);

/* Reference scalar activation, shared by all paths' tails and the tests. */
float effnet_act_ref(float x, Activation act);

#endif
