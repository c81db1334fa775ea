/*
 * bench_load - time jlp_load_mem() on one pickle file.
 *
 *   bench_load [--all] FILE [REPEAT]        (REPEAT defaults to 10)
 *
 * --all: FILE holds several pickles one after another (what repeated pickle.dump calls
 * on one file write); one timed load is all of them, each with jlp_load_mem() from where
 * the previous one ended (its `consumed`), every document kept until the timer stops,
 * as a Python reader calling Unpickler.load() until the end keeps its objects. The
 * root_* and ops keys then describe the last pickle; pickles= says how many there were.
 *
 * The file is read into memory once. One untimed warm-up load runs first, then REPEAT
 * timed loads; each document is freed after its load (the free is timed separately and
 * is not part of the load time). Only jlp_load_mem() itself is inside the load timer,
 * which matches what the Python side times (pickle.loads(data), object teardown
 * excluded).
 *
 * Output: one "key=value" per line on stdout, e.g.
 *   load_best_s=0.012345678
 *   load_median_s=0.013000000
 *   peak_rss_kib=40960        peak RSS of the process: VmHWM of /proc/self/status,
 *                             or ru_maxrss where /proc is not available
 *   baseline_rss_kib=12000    the same, after reading the file and before any load
 *   maxrss_kib=40960          getrusage() ru_maxrss, printed for reference only: Linux
 *                             carries it across fork and exec, so when a big parent (the
 *                             Python runner) starts this program it reports the
 *                             parent's high-water mark, not ours
 *   doc_alloc_bytes=...       jlp_doc_alloc_bytes() of the last document
 *   load_samples_s=0.0123,... every timed load in run order (for pooling across runs)
 *   load_cpu_samples_s=...    the CPU time (user + system) of each of them
 * Exit status: 0 success, 1 the file could not be read or loaded, 2 usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include "jlpickle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long maxrss_kib(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return ru.ru_maxrss; /* KiB on Linux */
}

/* Peak RSS of this address space in KiB: VmHWM, which exec resets (unlike ru_maxrss).
 * Falls back to ru_maxrss. */
static long peak_rss_kib(void) {
    FILE *fp = fopen("/proc/self/status", "r");
    if (fp) {
        char line[256];
        long kib = -1;
        while (fgets(line, sizeof line, fp))
            if (!strncmp(line, "VmHWM:", 6)) {
                kib = strtol(line + 6, NULL, 10);
                break;
            }
        fclose(fp);
        if (kib >= 0) return kib;
    }
    return maxrss_kib();
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* Read the whole file into a malloc()ed buffer. @return NULL on error (errno set). */
static unsigned char *read_file(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0) {
            if (ferror(fp)) { free(buf); buf = NULL; }
            break;
        }
    }
    int saved = errno;
    fclose(fp);
    errno = saved;
    *len = n;
    return buf;
}

static void report_error(const char *path, const jlp_error *err) {
    fprintf(stderr, "bench_load: %s: error at byte %llu: %s: %s\n", path,
            (unsigned long long)err->offset, jlp_error_name(err->code), err->msg);
}

int main(int argc, char **argv) {
    int all = argc > 1 && !strcmp(argv[1], "--all");
    argc -= all;
    argv += all;
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: bench_load [--all] FILE [REPEAT]\n");
        return 2;
    }
    const char *path = argv[1];
    long repeat = 10;
    if (argc == 3) {
        char *end;
        errno = 0;
        repeat = strtol(argv[2], &end, 10);
        if (errno || *end || end == argv[2] || repeat < 1 || repeat > 1000000) {
            fprintf(stderr, "bench_load: REPEAT must be a number from 1 to 1000000\n");
            return 2;
        }
    }

    size_t len = 0;
    unsigned char *data = read_file(path, &len);
    if (!data) {
        fprintf(stderr, "bench_load: %s: %s\n", path, strerror(errno));
        return 1;
    }
    long baseline = peak_rss_kib();

    double *load_t = malloc((size_t)repeat * sizeof *load_t);
    double *free_t = malloc((size_t)repeat * sizeof *free_t);
    double *cpu_t = malloc((size_t)repeat * sizeof *cpu_t);
    if (!load_t || !free_t || !cpu_t) {
        fprintf(stderr, "bench_load: out of memory\n");
        return 1;
    }

    /* --all: room for every pickle of the file (each takes at least 2 bytes). */
    size_t max_docs = all ? len / 2 + 1 : 1, pickles = 0;
    jlp_doc **docs = malloc(max_docs * sizeof *docs);
    if (!docs) {
        fprintf(stderr, "bench_load: out of memory\n");
        return 1;
    }

    jlp_error err;
    uint64_t alloc_bytes = 0, ops = 0, consumed = 0;
    size_t root_len = 0;
    const char *root_type = "invalid";
    int protocol = -1;
    unsigned warnings = 0;

    /* i == -1 is the untimed warm-up. */
    for (long i = -1; i < repeat; i++) {
        double c0 = cpu_s(), t0 = now_s();
        size_t off = 0, nd = 0;
        jlp_doc *doc;
        do {
            size_t used = 0;
            doc = jlp_load_mem(data + off, len - off, NULL, all ? &used : NULL, &err);
            if (!doc) break;
            docs[nd++] = doc;
            off += used;
        } while (all && off < len && nd < max_docs);
        double t1 = now_s(), c1 = cpu_s();
        if (!doc) {
            report_error(path, &err);
            return 1;
        }
        pickles = nd;
        for (size_t j = 0; j + 1 < nd; j++) jlp_doc_free(docs[j]); /* doc is docs[nd - 1] */
        alloc_bytes = jlp_doc_alloc_bytes(doc);
        ops = jlp_doc_ops(doc);
        consumed = jlp_doc_consumed(doc);
        protocol = jlp_doc_protocol(doc);
        warnings = jlp_doc_warnings(doc);
        root_type = jlp_type_name(jlp_get_type(jlp_doc_root(doc)));
        root_len = jlp_len(jlp_doc_root(doc));
        double t2 = now_s();
        jlp_doc_free(doc);
        double t3 = now_s();
        if (i >= 0) {
            load_t[i] = t1 - t0;
            cpu_t[i] = c1 - c0;
            free_t[i] = t3 - t2;
        }
    }

    printf("load_samples_s=");
    for (long i = 0; i < repeat; i++) printf("%s%.9f", i ? "," : "", load_t[i]);
    printf("\nload_cpu_samples_s=");
    for (long i = 0; i < repeat; i++) printf("%s%.9f", i ? "," : "", cpu_t[i]);
    printf("\n");

    double best = load_t[0];
    for (long i = 1; i < repeat; i++)
        if (load_t[i] < best) best = load_t[i];
    double med = median_of(load_t, (size_t)repeat);
    double free_med = median_of(free_t, (size_t)repeat);

    printf("file=%s\n", path);
    printf("library_version=%s\n", jlp_version_string());
    printf("size_bytes=%zu\n", len);
    printf("repeat=%ld\n", repeat);
    printf("load_best_s=%.9f\n", best);
    printf("load_median_s=%.9f\n", med);
    printf("free_median_s=%.9f\n", free_med);
    printf("peak_rss_kib=%ld\n", peak_rss_kib());
    printf("maxrss_kib=%ld\n", maxrss_kib());
    printf("baseline_rss_kib=%ld\n", baseline);
    printf("doc_alloc_bytes=%llu\n", (unsigned long long)alloc_bytes);
    printf("ops=%llu\n", (unsigned long long)ops);
    printf("consumed=%llu\n", (unsigned long long)consumed);
    printf("protocol=%d\n", protocol);
    printf("warnings=%u\n", warnings);
    printf("root_type=%s\n", root_type);
    printf("root_len=%zu\n", root_len);
    printf("pickles=%zu\n", pickles);

    free(load_t);
    free(free_t);
    free(cpu_t);
    free(docs);
    free(data);
    return fflush(stdout) ? 1 : 0;
}
