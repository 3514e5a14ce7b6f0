/* dispatch.c — which kernels run: chosen once, at model load, from what the
 * CPU (and the OS, which must save the wide registers) supports. One binary
 * therefore runs on any x86-64; on AArch64 the NEON kernels (every AArch64
 * CPU has NEON, so no check), and the portable path on anything else. */
#include "kernels.h"
#include "../effnet.h"

#include <stddef.h>

#include "../errors.h"

static const Kernels kScalar = {
    .name = "scalar",
    .mr = EFFNET_SCALAR_MR,
    .nv = 1,
    .gemm = effnet_gemm_4x16_scalar,
    .dwconv = effnet_dwconv_scalar,
    .scale_panels = effnet_scale_panels_scalar,
    .scale_channels = effnet_scale_channels_scalar,
    .vact = effnet_vact_scalar,
    .unpack_u8 = effnet_unpack_u8_scalar,
    .resample_h_taps = effnet_resample_h_taps_scalar,
    .resample_v = effnet_resample_v_scalar,
    .store_rgb = effnet_store_rgb_scalar,
    .store_yuv = effnet_store_yuv_scalar,
};

#if defined(EFFNET_HAVE_X86)
static const Kernels kAvx2 = {
    .name = "avx2",
    .mr = EFFNET_AVX2_MR,
    .nv = 1,
    .gemm = effnet_gemm_6x16_avx2,
    .dwconv = effnet_dwconv_6x8_avx2,
    .scale_panels = effnet_scale_panels_avx2,
    .scale_channels = effnet_scale_channels_avx2,
    .vact = effnet_vact_avx2,
    .unpack_u8 = effnet_unpack_u8_avx2,
    .resample_h_taps = effnet_resample_h_taps_avx2,
    .gather_cost = 4.0f,
    .resample_h_dense = effnet_resample_h_8x_avx2,
    .resample_tile = EFFNET_AVX2_RESAMPLE_TILE,
    .resample_v = effnet_resample_v_avx2,
    .store_rgb = effnet_store_rgb_avx2,
    .store_yuv = effnet_store_yuv_avx2,
};
static const Kernels kAvx512 = {
    .name = "avx512",
    .mr = EFFNET_AVX512_MR,
    .nv = EFFNET_AVX512_NV,
    .gemm = effnet_gemm_8x48_avx512,
    .dwconv = effnet_dwconv_8x16_avx512,
    .scale_panels = effnet_scale_panels_avx512,
    .scale_channels = effnet_scale_channels_avx512,
    .vact = effnet_vact_avx512,
    .unpack_u8 = effnet_unpack_u8_avx512,
    .resample_h_taps = effnet_resample_h_taps_avx512,
    .gather_cost = 4.0f,
    .resample_h_dense = effnet_resample_h_16x_avx512,
    .resample_tile = EFFNET_AVX512_RESAMPLE_TILE,
    .resample_v = effnet_resample_v_avx512,
    .store_rgb = effnet_store_rgb_avx512,
    .store_yuv = effnet_store_yuv_avx512,
};
#endif

#if defined(EFFNET_HAVE_NEON)
static const Kernels kNeon = {
    .name = "neon",
    .mr = EFFNET_NEON_MR,
    .nv = 1,
    .gemm = effnet_gemm_6x16_neon,
    .vact = effnet_vact_neon,
    .dwconv = effnet_dwconv_4x8_neon,
    .scale_panels = effnet_scale_panels_neon,
    .scale_channels = effnet_scale_channels_neon,
    .unpack_u8 = effnet_unpack_u8_neon,
    .resample_h_taps = effnet_resample_h_taps_neon,
    .gather_cost = 4.0f, /* four single-lane loads per tap and vector */
    .resample_h_dense = effnet_resample_h_4x_neon,
    .resample_tile = EFFNET_NEON_RESAMPLE_TILE,
    .resample_v = effnet_resample_v_neon,
    .store_rgb = effnet_store_rgb_neon,
    .store_yuv = effnet_store_yuv_neon,
};
#endif

int effnet_isa_supported(EffnetIsa isa) {
  switch (isa) {
    case EFFNET_ISA_AUTO:
    case EFFNET_ISA_SCALAR: return 1;
#if defined(EFFNET_HAVE_X86)
    /* __builtin_cpu_supports also checks that the OS enabled the registers (XCR0). */
    case EFFNET_ISA_AVX2: __builtin_cpu_init(); return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case EFFNET_ISA_AVX512:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
#endif
#if defined(EFFNET_HAVE_NEON)
    case EFFNET_ISA_NEON: return 1; /* part of AArch64 */
#endif
    default: return 0;
  }
}

EffnetIsa effnet_isa_best(void) {
  if (effnet_isa_supported(EFFNET_ISA_NEON)) return EFFNET_ISA_NEON;
  if (effnet_isa_supported(EFFNET_ISA_AVX512)) return EFFNET_ISA_AVX512;
  if (effnet_isa_supported(EFFNET_ISA_AVX2)) return EFFNET_ISA_AVX2;
  return EFFNET_ISA_SCALAR;
}

/* "the avx2 kernels are not available ..." or why an ISA value is wrong. */
void effnet_kernels_unavailable(int isa, char *err, size_t errlen) {
  const char *name = effnet_isa_name((EffnetIsa)isa);
  if (name) set_error(err, errlen, "the %s kernels are not available on this CPU or in this build", name);
  else set_error(err, errlen, "unknown instruction set %d (auto, scalar, avx2, avx512 or neon)", isa);
}

const Kernels *effnet_kernels_for(int isa) {
  if (isa == EFFNET_ISA_AUTO) isa = effnet_isa_best();
  if (!effnet_isa_supported((EffnetIsa)isa)) return NULL;
  switch (isa) {
    case EFFNET_ISA_SCALAR: return &kScalar;
#if defined(EFFNET_HAVE_X86)
    case EFFNET_ISA_AVX2: return &kAvx2;
    case EFFNET_ISA_AVX512: return &kAvx512;
#endif
#if defined(EFFNET_HAVE_NEON)
    case EFFNET_ISA_NEON: return &kNeon;
#endif
    default: return NULL;
  }
}
