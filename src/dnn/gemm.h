/* Internal: single-precision matrix product for the convolutions, with the bias and a simple
 * activation folded into the store. A (the weights) is packed once at load time; B (activations
 * or their im2col matrix) is read in place, one 16-column strip at a time. */
#ifndef CW_DNN_GEMM_H
#define CW_DNN_GEMM_H

#include <stddef.h>

#define CW_GEMM_MR 6  /* rows of C per kernel call */
#define CW_GEMM_NR 16 /* columns of C per kernel call */

/* Activations the kernel applies as it stores; anything else is applied by the caller after. */
enum { GEMM_LINEAR, GEMM_LEAKY, GEMM_RELU, GEMM_RELU6 };

/* Floats needed to pack an @m × @k matrix (rows padded to a multiple of CW_GEMM_MR). */
size_t cw__gemm_packed_len(int m, int k);

/* Packs row-major @a (@m × @k) and @bias (@m, or NULL for zeros) into @packed. */
void cw__gemm_pack(const float *a, const float *bias, int m, int k, float *packed);

/* Floats of per-thread work space cw__gemm needs for depth @k. */
size_t cw__gemm_work_len(int k);

/* C[:, n0:n1] = act(A × B[:, n0:n1] + bias). B is @k × n, rows @ldb apart; C is @m × n, rows @ldc
 * apart. @n0 must be a multiple of CW_GEMM_NR. @work holds cw__gemm_work_len(k) floats. */
void cw__gemm(const float *packed, int m, int k, const float *b, int ldb, float *c, int ldc, int n0,
              int n1, int act, float *work);

/* True when the AVX2+FMA kernels are in use: decided once, from the CPU (CW_NO_SIMD=1 in the
 * environment forces the portable ones, for tests). */
int cw__gemm_uses_avx2(void);

#endif
