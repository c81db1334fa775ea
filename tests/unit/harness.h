/*
 * harness.h - the unit test harness: TEST(name) registers a test; CHECK macros print
 * both sides on failure; main() runs every test (or those named on the command line)
 * and ends with "N passed, N failed". One binary per tests/unit/test_*.c file.
 */
#ifndef JLP_HARNESS_H
#define JLP_HARNESS_H

#include "jlpickle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*th_fn)(void);
static struct { const char *name; th_fn fn; } th_tests[512];
static int th_ntests;
static int th_failed_now;

static void th_register(const char *name, th_fn fn) {
    if (th_ntests < (int)(sizeof th_tests / sizeof th_tests[0])) {
        th_tests[th_ntests].name = name;
        th_tests[th_ntests].fn = fn;
        th_ntests++;
    }
}

#define TEST(name)                                                                  \
    static void test_##name(void);                                                  \
    __attribute__((constructor)) static void th_reg_##name(void) {                  \
        th_register(#name, test_##name);                                            \
    }                                                                               \
    static void test_##name(void)

#define TH_FAIL(...)                                                                \
    do {                                                                            \
        fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                           \
        fprintf(stderr, __VA_ARGS__);                                               \
        fputc('\n', stderr);                                                        \
        th_failed_now = 1;                                                          \
    } while (0)

#define CHECK(cond)                                                                 \
    do { if (!(cond)) TH_FAIL("CHECK(%s) failed", #cond); } while (0)

#define CHECK_INT(a, b)                                                             \
    do {                                                                            \
        long long th_a = (long long)(a), th_b = (long long)(b);                     \
        if (th_a != th_b) TH_FAIL("%s == %lld, expected %s == %lld", #a, th_a, #b, th_b); \
    } while (0)

#define CHECK_STR(a, b)                                                             \
    do {                                                                            \
        const char *th_a = (a), *th_b = (b);                                        \
        if (!th_a || !th_b || strcmp(th_a, th_b))                                   \
            TH_FAIL("%s\n    got:      %s\n    expected: %s", #a, th_a ? th_a : "(null)", \
                    th_b ? th_b : "(null)");                                        \
    } while (0)

/* An error must carry exactly this code and offset. */
#define CHECK_ERR(err, code_, offset_)                                              \
    do {                                                                            \
        if ((err).code != (code_) || (err).offset != (uint64_t)(offset_))          \
            TH_FAIL("error %s at %llu (%s), expected %s at %llu",                   \
                    jlp_error_name((err).code), (unsigned long long)(err).offset,   \
                    (err).msg, jlp_error_name(code_), (unsigned long long)(offset_)); \
    } while (0)

int main(int argc, char **argv) {
    int passed = 0, failed = 0;
    for (int i = 0; i < th_ntests; i++) {
        if (argc > 1) {
            int want = 0;
            for (int k = 1; k < argc; k++) want |= !strcmp(argv[k], th_tests[i].name);
            if (!want) continue;
        }
        th_failed_now = 0;
        th_tests[i].fn();
        if (th_failed_now) { failed++; fprintf(stderr, "FAIL %s\n", th_tests[i].name); }
        else passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
