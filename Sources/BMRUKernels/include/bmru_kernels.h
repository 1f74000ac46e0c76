// Inner loops of the ideal FQ-BMRU model (BMRUModel.IdealModel), in C so that x86-64 machines can use
// AVX2 / AVX-512 chosen at run time. Every path computes each output as
//   acc = bias[o]; for each nonzero input i in increasing order: acc = acc + x[i] * w[i*m + o]
// with separate multiply and add (no fused multiply-add), so all paths give bit-identical results.
#ifndef BMRU_KERNELS_H
#define BMRU_KERNELS_H

#include <stddef.h>
#include "bmru_system.h"

/// z[t*m + o] = bias[o] + sum_i x[t*n + i] * columns[i*m + o]  for frames t in [t0, t1).
/// scratch_index / scratch_value: room for n entries each (per calling thread).
void bmru_affine_frames(const double *x, long n, const double *columns, const double *bias, long m,
                        double *z, long t0, long t1, long *scratch_index, double *scratch_value);

/// Name of the code path in use: "avx512", "avx2" or "generic".
const char *bmru_kernel_path(void);

/// Chooses a path: "generic", "avx2", "avx512" or "best". Returns 0 (and changes nothing) when the
/// path is unknown or the CPU lacks it. For tests and benchmarks: all paths give identical results.
int bmru_select_kernel(const char *name);

#endif
