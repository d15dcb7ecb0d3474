/* Matrix product for the convolutions: a 6 × 16 register-blocked kernel (AVX2 + FMA when the CPU
 * has them, chosen once at run time; portable C otherwise). Why not OpenBLAS: Debian's build does
 * not recognise recent CPUs and falls back to a generic kernel unless OPENBLAS_CORETYPE is set,
 * and the convolutions of small detectors are thin (m of 8–256 rows), where a kernel that packs
 * the weights once at load time and streams the activations wins anyway. */
#include "dnn/gemm.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#define MR CW_GEMM_MR
#define NR CW_GEMM_NR

/* Panel layout, per block of MR rows: MR biases, then k steps of MR weights (row r of step p at
 * p * MR + r). Rows past m are zero. */
size_t cw__gemm_packed_len(int m, int k)
{
    size_t blocks = ((size_t)m + MR - 1) / MR;
    return blocks * MR * ((size_t)k + 1);
}

void cw__gemm_pack(const float *a, const float *bias, int m, int k, float *packed)
{
    int blocks = (m + MR - 1) / MR;
    for (int mb = 0; mb < blocks; mb++) {
        float *p = packed + (size_t)mb * MR * ((size_t)k + 1);
        for (int r = 0; r < MR; r++) {
            int row = mb * MR + r;
            p[r] = row < m && bias ? bias[row] : 0;
            for (int q = 0; q < k; q++)
                p[MR + (size_t)q * MR + r] = row < m ? a[(size_t)row * k + q] : 0;
        }
    }
}

size_t cw__gemm_work_len(int k)
{
    return (size_t)k * NR + MR * NR;
}

static inline float act1(float v, int act)
{
    switch (act) {
    case GEMM_LEAKY:
        return v > 0 ? v : 0.1f * v;
    case GEMM_RELU:
        return v > 0 ? v : 0;
    case GEMM_RELU6:
        return v < 0 ? 0 : v > 6 ? 6 : v;
    default:
        return v;
    }
}

/* Portable kernel: acc[MR][NR] = bias + panel × strip. */
static void kernel_c(const float *pa, const float *bp, size_t ldb, int k, float acc[MR][NR])
{
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++)
            acc[r][j] = pa[r];
    pa += MR;
    for (int p = 0; p < k; p++) {
        const float *b = bp + (size_t)p * ldb;
        for (int r = 0; r < MR; r++) {
            float a = pa[(size_t)p * MR + r];
            for (int j = 0; j < NR; j++)
                acc[r][j] += a * b[j];
        }
    }
}

static void store(float acc[MR][NR], float *c, int ldc, int mr, int nr, int act)
{
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < nr; j++)
            c[(size_t)r * ldc + j] = act1(acc[r][j], act);
}

#ifdef HAVE_X86
__attribute__((target("avx2,fma"))) static inline __m256 act8(__m256 v, int act)
{
    switch (act) {
    case GEMM_LEAKY:
        return _mm256_max_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(0.1f)));
    case GEMM_RELU:
        return _mm256_max_ps(v, _mm256_setzero_ps());
    case GEMM_RELU6:
        return _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(6));
    default:
        return v;
    }
}

/* The AVX2 kernel: 12 accumulators, two strip loads and six broadcasts per step. Full tiles go
 * straight to C; edge tiles through @tmp. */
__attribute__((target("avx2,fma"))) static void kernel_avx2(const float *pa, const float *bp,
                                                            size_t ldb, int k, float *c, int ldc,
                                                            int mr, int nr, int act, float *tmp)
{
    __m256 c00 = _mm256_broadcast_ss(pa + 0), c01 = c00;
    __m256 c10 = _mm256_broadcast_ss(pa + 1), c11 = c10;
    __m256 c20 = _mm256_broadcast_ss(pa + 2), c21 = c20;
    __m256 c30 = _mm256_broadcast_ss(pa + 3), c31 = c30;
    __m256 c40 = _mm256_broadcast_ss(pa + 4), c41 = c40;
    __m256 c50 = _mm256_broadcast_ss(pa + 5), c51 = c50;
    const float *a = pa + MR;
    for (int p = 0; p < k; p++, a += MR, bp += ldb) {
        __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8), x;
        x = _mm256_broadcast_ss(a + 0);
        c00 = _mm256_fmadd_ps(x, b0, c00);
        c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a + 1);
        c10 = _mm256_fmadd_ps(x, b0, c10);
        c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a + 2);
        c20 = _mm256_fmadd_ps(x, b0, c20);
        c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a + 3);
        c30 = _mm256_fmadd_ps(x, b0, c30);
        c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(a + 4);
        c40 = _mm256_fmadd_ps(x, b0, c40);
        c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(a + 5);
        c50 = _mm256_fmadd_ps(x, b0, c50);
        c51 = _mm256_fmadd_ps(x, b1, c51);
    }
    __m256 v[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    bool full = mr == MR && nr == NR;
    float *dst = full ? c : tmp;
    int ld = full ? ldc : NR;
    for (int r = 0; r < MR; r++) {
        _mm256_storeu_ps(dst + (size_t)r * ld, act8(v[r][0], act));
        _mm256_storeu_ps(dst + (size_t)r * ld + 8, act8(v[r][1], act));
    }
    if (!full)
        for (int r = 0; r < mr; r++)
            memcpy(c + (size_t)r * ldc, tmp + r * NR, (size_t)nr * sizeof(float));
}
#endif

static int use_avx2 = -1;

int cw__gemm_uses_avx2(void)
{
    if (use_avx2 < 0) {
#ifdef HAVE_X86
        __builtin_cpu_init();
        use_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                   !getenv("CW_NO_SIMD");
#else
        use_avx2 = 0;
#endif
    }
    return use_avx2;
}

void cw__gemm(const float *packed, int m, int k, const float *b, int ldb, float *c, int ldc, int n0,
              int n1, int act, float *work)
{
    int avx2 = cw__gemm_uses_avx2();
    float *bp = work, *tmp = work + (size_t)k * NR;
    int blocks = (m + MR - 1) / MR;
    for (int n = n0; n < n1; n += NR) {
        int nr = n1 - n < NR ? n1 - n : NR;
        /* Thin products (few weight rows) read the strip where it lies; otherwise it is copied
         * contiguous first, which pays off over many row blocks. Edge strips are always copied,
         * zero-padded, so the kernel never reads past the matrix. */
        const float *strip = b + n;
        size_t ld = (size_t)ldb;
        if (nr < NR || blocks > 2) {
            for (int p = 0; p < k; p++) {
                const float *src = b + (size_t)p * ldb + n;
                float *d = bp + (size_t)p * NR;
                memcpy(d, src, (size_t)nr * sizeof(float));
                for (int j = nr; j < NR; j++)
                    d[j] = 0;
            }
            strip = bp;
            ld = NR;
        }
        for (int mb = 0; mb < blocks; mb++) {
            const float *pa = packed + (size_t)mb * MR * ((size_t)k + 1);
            int mr = m - mb * MR < MR ? m - mb * MR : MR;
            float *cb = c + (size_t)mb * MR * ldc + n;
#ifdef HAVE_X86
            if (avx2) {
                kernel_avx2(pa, strip, ld, k, cb, ldc, mr, nr, act, tmp);
                continue;
            }
#endif
            (void)avx2;
            float acc[MR][NR];
            kernel_c(pa, strip, ld, k, acc);
            store(acc, cb, ldc, mr, nr, act);
        }
    }
}
