// See include/bmru_kernels.h. Floating-point contraction is off: a*b + c is a multiply then an add.
#include "bmru_kernels.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#endif
#pragma STDC FP_CONTRACT OFF

/// Gathers the nonzero inputs of one frame: column offsets and values, in input order.
static long gather(const double *xt, long n, long m, long *idx, double *val) {
    long c = 0;
    for (long i = 0; i < n; i++) {
        if (xt[i] != 0) { idx[c] = i * m; val[c] = xt[i]; c++; }
    }
    return c;
}

/// Outputs [o, m) one at a time (tails, and the whole generic path).
static void scalar_outputs(long o, long m, const double *b, long c, const long *idx, const double *val,
                           const double *w, double *acc) {
    for (; o < m; o++) {
        double a = b[o];
        for (long j = 0; j < c; j++) a = a + val[j] * w[idx[j] + o];
        acc[o] = a;
    }
}

static void affine_generic(const double *x, long n, const double *w, const double *b, long m, double *z,
                           long t0, long t1, long *idx, double *val) {
    for (long t = t0; t < t1; t++) {
        long c = gather(x + t * n, n, m, idx, val);
        double *acc = z + t * m;
        long o = 0;
        // blocks of 8 outputs kept in a local array the compiler can hold in vector registers
        for (; o + 8 <= m; o += 8) {
            double a[8];
            for (int k = 0; k < 8; k++) a[k] = b[o + k];
            for (long j = 0; j < c; j++) {
                const double *col = w + idx[j] + o;
                double v = val[j];
                for (int k = 0; k < 8; k++) a[k] = a[k] + v * col[k];
            }
            for (int k = 0; k < 8; k++) acc[o + k] = a[k];
        }
        scalar_outputs(o, m, b, c, idx, val, w, acc);
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

__attribute__((target("avx2")))
static void affine_avx2(const double *x, long n, const double *w, const double *b, long m, double *z,
                        long t0, long t1, long *idx, double *val) {
    for (long t = t0; t < t1; t++) {
        long c = gather(x + t * n, n, m, idx, val);
        double *acc = z + t * m;
        long o = 0;
        for (; o + 16 <= m; o += 16) {
            __m256d a0 = _mm256_loadu_pd(b + o), a1 = _mm256_loadu_pd(b + o + 4);
            __m256d a2 = _mm256_loadu_pd(b + o + 8), a3 = _mm256_loadu_pd(b + o + 12);
            for (long j = 0; j < c; j++) {
                const double *col = w + idx[j] + o;
                __m256d v = _mm256_set1_pd(val[j]);
                a0 = _mm256_add_pd(a0, _mm256_mul_pd(v, _mm256_loadu_pd(col)));
                a1 = _mm256_add_pd(a1, _mm256_mul_pd(v, _mm256_loadu_pd(col + 4)));
                a2 = _mm256_add_pd(a2, _mm256_mul_pd(v, _mm256_loadu_pd(col + 8)));
                a3 = _mm256_add_pd(a3, _mm256_mul_pd(v, _mm256_loadu_pd(col + 12)));
            }
            _mm256_storeu_pd(acc + o, a0); _mm256_storeu_pd(acc + o + 4, a1);
            _mm256_storeu_pd(acc + o + 8, a2); _mm256_storeu_pd(acc + o + 12, a3);
        }
        scalar_outputs(o, m, b, c, idx, val, w, acc);
    }
}

__attribute__((target("avx512f")))
static void affine_avx512(const double *x, long n, const double *w, const double *b, long m, double *z,
                          long t0, long t1, long *idx, double *val) {
    for (long t = t0; t < t1; t++) {
        long c = gather(x + t * n, n, m, idx, val);
        double *acc = z + t * m;
        long o = 0;
        for (; o + 32 <= m; o += 32) {
            __m512d a0 = _mm512_loadu_pd(b + o), a1 = _mm512_loadu_pd(b + o + 8);
            __m512d a2 = _mm512_loadu_pd(b + o + 16), a3 = _mm512_loadu_pd(b + o + 24);
            for (long j = 0; j < c; j++) {
                const double *col = w + idx[j] + o;
                __m512d v = _mm512_set1_pd(val[j]);
                a0 = _mm512_add_pd(a0, _mm512_mul_pd(v, _mm512_loadu_pd(col)));
                a1 = _mm512_add_pd(a1, _mm512_mul_pd(v, _mm512_loadu_pd(col + 8)));
                a2 = _mm512_add_pd(a2, _mm512_mul_pd(v, _mm512_loadu_pd(col + 16)));
                a3 = _mm512_add_pd(a3, _mm512_mul_pd(v, _mm512_loadu_pd(col + 24)));
            }
            _mm512_storeu_pd(acc + o, a0); _mm512_storeu_pd(acc + o + 8, a1);
            _mm512_storeu_pd(acc + o + 16, a2); _mm512_storeu_pd(acc + o + 24, a3);
        }
        for (; o + 8 <= m; o += 8) {
            __m512d a = _mm512_loadu_pd(b + o);
            for (long j = 0; j < c; j++) {
                a = _mm512_add_pd(a, _mm512_mul_pd(_mm512_set1_pd(val[j]), _mm512_loadu_pd(w + idx[j] + o)));
            }
            _mm512_storeu_pd(acc + o, a);
        }
        scalar_outputs(o, m, b, c, idx, val, w, acc);
    }
}

typedef void (*affine_fn)(const double *, long, const double *, const double *, long, double *, long, long,
                          long *, double *);

static affine_fn choose(const char **name) {
    if (__builtin_cpu_supports("avx512f")) { *name = "avx512"; return affine_avx512; }
    if (__builtin_cpu_supports("avx2")) { *name = "avx2"; return affine_avx2; }
    *name = "generic";
    return affine_generic;
}
#else
typedef void (*affine_fn)(const double *, long, const double *, const double *, long, double *, long, long,
                          long *, double *);
static affine_fn choose(const char **name) { *name = "generic"; return affine_generic; }
#endif

#include <string.h>

static affine_fn current_fn = 0;
static const char *current_name = 0;

static affine_fn selected(const char **name) {
    affine_fn f = __atomic_load_n(&current_fn, __ATOMIC_ACQUIRE);
    if (!f) {
        const char *n;
        f = choose(&n);  // a pure function of the CPU: racing first calls store the same values
        __atomic_store_n(&current_name, n, __ATOMIC_RELEASE);
        __atomic_store_n(&current_fn, f, __ATOMIC_RELEASE);
    }
    if (name) *name = __atomic_load_n(&current_name, __ATOMIC_ACQUIRE);
    return f;
}

void bmru_affine_frames(const double *x, long n, const double *columns, const double *bias, long m,
                        double *z, long t0, long t1, long *scratch_index, double *scratch_value) {
    selected(0)(x, n, columns, bias, m, z, t0, t1, scratch_index, scratch_value);
}

const char *bmru_kernel_path(void) {
    const char *n;
    selected(&n);
    return n;
}

int bmru_select_kernel(const char *name) {
    const char *best;
    affine_fn f = choose(&best);
    if (strcmp(name, "generic") == 0) { f = affine_generic; best = "generic"; }
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    else if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2")) { f = affine_avx2; best = "avx2"; }
    else if (strcmp(name, "avx512") == 0 && __builtin_cpu_supports("avx512f")) { f = affine_avx512; best = "avx512"; }
#endif
    else if (strcmp(name, "best") != 0) return 0;
    __atomic_store_n(&current_name, best, __ATOMIC_RELEASE);
    __atomic_store_n(&current_fn, f, __ATOMIC_RELEASE);
    return 1;
}
