/* gemm-blas.h — OpenBLAS as a second backend of the GEMM driver (gemm.h),
 * for the 1x1 convolutions (expand, project, head).
 *
 * A layer runs where its weights are: PackedGemm.b (16-column panels) on the
 * engine's micro-kernels, PackedGemm.plain (row-major K x N) on
 * cblas_sgemm. gemm_job_share() looks at the job's weights and comes here
 * for plain ones. The model keeps one form per layer, so the backend costs
 * no weight memory; gemm_blas_make_plain() adds the plain copy beside the
 * panels (K*N floats more) for benchmarks and tests that run both.
 *
 * Threading: each thread of the engine's team takes a contiguous share of
 * the rows (pixels) with effnet_share and calls OpenBLAS on them alone;
 * OpenBLAS's own threads are kept out of the way (gemm_blas_make_plain). */
#ifndef EFFNET_GEMM_BLAS_H
#define EFFNET_GEMM_BLAS_H

#include <stddef.h>

#include "gemm.h"
#include "model.h"

/* 1 when this build has the OpenBLAS backend (-Dblas=openblas, or auto
 * finding it in a build without SIMD kernels for the host), else 0. */
int gemm_blas_available(void);

/* The OpenBLAS build in use ("OpenBLAS 0.3.21 DYNAMIC_ARCH ... pthread",
 * its core), or "" without the backend. */
const char *gemm_blas_config(void);

/* g->plain = the panels of g->b as a row-major K x N matrix (64-byte
 * aligned); g->b is kept. Also sets a pthreads OpenBLAS to one thread (the
 * engine's team splits the work; see gemm-blas.c). Returns 0, or -1 when
 * out of memory or without the backend. packed_gemm_free() frees both. */
int gemm_blas_make_plain(PackedGemm *g);

/* Resolve opt's backend for the model (EffnetOptions.gemm) and move the
 * layers it picks to plain weights, freeing their panels; sets
 * m->info.gemm. AUTO picks OpenBLAS when this build has it, the ISA was not
 * forced and the kernels in use are the portable C ones (nn/README.md says
 * why). Returns 0, or -1 with one sentence in err. */
int gemm_backend_apply(EffnetModel *m, EffnetGemm backend, EffnetIsa forced_isa, char *err, size_t errlen);

/* Rows [k0, k1) of plain weights (K x N) times gate[k], into out (same
 * layout): the SE gate folded into the project weights, this thread's share
 * (the plain twin of Kernels.scale_panels). */
void gemm_blas_gate_rows(const float *plain, const float *gate, int N, size_t k0, size_t k1, float *out);

#ifdef EFFNET_HAVE_OPENBLAS
/* Thread ith of nth's share of job (an op, nn/threads.h) through
 * cblas_sgemm on job->w->plain: rows [M*ith/nth, M*(ith+1)/nth) of the
 * n*h*w output pixels, C pre-set to the bias (beta = 1), then kern's vact
 * (scalar when the table has none) and the residual on the same rows. No
 * barrier. job->a must be set (the stem's im2col stays on our kernels); A, C
 * and the residual may be strided views: the rows are cut into runs where
 * all three are contiguous (one call per image, or per image row, when a
 * view has borders). (ith, nth) = (0, 1): the whole job here. */
void gemm_job_share_blas(const Kernels *kern, const GemmJob *job, int ith, int nth);
#endif

#endif
