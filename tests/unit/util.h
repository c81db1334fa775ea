/* tests/unit/util.h - helpers the unit tests share (each test binary is one .c file). */
#ifndef JLP_TEST_UTIL_H
#define JLP_TEST_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JLP_QUICK=1 (set by make check's valgrind pass) asks for the short variants. */
static inline int quick(void) {
    const char *q = getenv("JLP_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

/* The whole file, NUL-terminated (not counted in *len); NULL (and *len 0) when it cannot
 * be opened. */
static inline char *slurp(const char *path, size_t *len) {
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) buf = realloc(buf, (cap *= 2) + 1);
        size_t k = fread(buf + n, 1, cap - n, f);
        if (!k) break;
        n += k;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

/* JLP_TEST_INFLATE=zlib: zlib, gzip and ZF streams are decoded by zlib's inflate even
 * where the library was built with ISA-L (tests/run.sh runs the codec and joblib suites
 * once with each back end). The switch is the library's internal testing hook. */
enum { JLP_TEST_INFLATE_AUTO, JLP_TEST_INFLATE_ZLIB };
extern int jlp__inflate_backend;
bool jlp__inflate_isal_built(void);
__attribute__((constructor)) static void inflate_backend_from_env(void) {
    const char *b = getenv("JLP_TEST_INFLATE");
    if (b && !strcmp(b, "zlib")) jlp__inflate_backend = JLP_TEST_INFLATE_ZLIB;
}
/* @return whether ISA-L decodes zlib, gzip and ZF streams in this run. */
static inline int inflate_is_isal(void) {
    return jlp__inflate_isal_built() && jlp__inflate_backend == JLP_TEST_INFLATE_AUTO;
}

/* Whether the NUL-terminated `needle` occurs in p[0..n). */
static inline int mem_has(const void *p, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; p && k <= n && i <= n - k; i++)
        if (!memcmp((const char *)p + i, needle, k)) return 1;
    return 0;
}

#endif
