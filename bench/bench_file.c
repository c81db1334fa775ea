/*
 * bench_file - time jlp_load_path() on one joblib file, in memory or memory-mapped.
 *
 *   bench_file [--mmap | --cow] [--threads N] [--inflate zlib] [--warmup N] [--warmup-file PATH] FILE [REPEAT]
 *   bench_file --alloc-touch NBYTES CHUNK [REPEAT [WARMUP]]
 *   bench_file --read-only | --read-reuse [--warmup N] FILE [REPEAT]
 *
 *   --mmap               load with jlp_read_opts.mmap = 1 (an uncompressed file is mapped
 *                        read-only and arrays point into the mapping); default: the file is
 *                        read (and, when compressed, decoded through the library's
 *                        streaming decoder layer) into the document's memory
 *   --cow                load with jlp_read_opts.mmap = JLP_MMAP_COPY_ON_WRITE (a private
 *                        writable mapping, copy semantics)
 *   --threads N          jlp_read_opts.threads (default 0: the library's choice); 1 reads
 *                        large payloads with the calling thread alone
 *   --inflate zlib       decode zlib, gzip and ZF with zlib's inflate even where the library
 *                        has ISA-L (the library's internal switch), to compare the two
 *   --warmup N           untimed loads of FILE before the timed ones (default 1)
 *   --warmup-file PATH   one untimed load of PATH first (same options), so that code paths
 *                        are warm even with --warmup 0 (used for cold page-cache runs: the
 *                        big file must not be read before the timed load)
 *   REPEAT               timed loads (default 10)
 *   --alloc-touch        no load: time allocating NBYTES in blocks of CHUNK bytes the way
 *                        the library's default allocator does (common/alloc.c: blocks of
 *                        2 MiB or more are posix_memalign()ed to 2 MiB and advised
 *                        MADV_HUGEPAGE) and writing every byte once, i.e. the cost of
 *                        materialising that much decoded data in fresh memory, which a
 *                        decoder writing to /dev/null never pays. WARMUP untimed rounds
 *                        first (default 1; the codecs suite uses 0, like its loads).
 *   --read-only          no load: time reading the whole FILE with read() into one buffer
 *                        allocated like the library's big blocks (2 MiB aligned,
 *                        MADV_HUGEPAGE) plus the touch of 3 doubles: the floor of an
 *                        in-memory load that copies the file once (--warmup applies).
 *   --read-reuse         as --read-only, but the buffer is allocated once and reused, as a
 *                        repeated load reuses its memory: open, fstat, read() of the whole
 *                        file into pages already faulted in, close; the floor of a warm
 *                        copying load of a small file (the models group)
 *
 * Each timed load is: jlp_load_path(FILE, opts), then a touch of the data: for every
 * array reachable from the root (the root itself, or the values of a root dict/list),
 * elements 0, count/2 and count-1 are read and added up (as double), so that nothing
 * could be skipped lazily (with --mmap this faults those pages in). The load and the
 * touch are inside the timer; jlp_doc_free() is timed separately. The Python side
 * (bench/run.py) times joblib.load(FILE[, mmap_mode='r']) plus the same touch.
 *
 * Output: "key=value" lines on stdout, like bench_load:
 *   load_samples_s=...   every timed load, in run order
 *   load_best_s, load_median_s, free_median_s
 *   load_cpu_samples_s   CPU time (user + system, CLOCK_PROCESS_CPUTIME_ID) of every timed
 *                        load: unlike wall time, it excludes waiting for a CPU on a busy
 *                        machine
 *   load_cpu_median_s
 *   peak_rss_kib         VmHWM of /proc/self/status at exit (peak resident set, file-backed
 *                        mapped pages included)
 *   baseline_rss_kib     VmHWM before the first load of FILE (after the warm-up file)
 *   checksum             the sum of the touched elements (compared with Python's)
 *   decoded_bytes        jlp_doc_consumed(): bytes of the decoded pickle stream
 *   container, generation, arrays, storage, aligned, doc_alloc_bytes, root_type, root_len
 * Exit status: 0 success, 1 load error, 2 usage error.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE, as the library is built (Makefile CSTD) */

#include "jlpickle.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

/* Peak RSS in KiB: VmHWM (reset by exec, unlike ru_maxrss); ru_maxrss as a fallback. */
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
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, size_t n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* Element i of an array as a double (host byte order assumed: the files are written on
 * this machine). Unknown kinds read the first byte of the item. */
static double element(const jlp_array_info *ai, uint64_t i) {
    const unsigned char *p = (const unsigned char *)ai->data;
    char kind = jlp_dtype_kind(ai->dtype);
    uint64_t isz = jlp_dtype_itemsize(ai->dtype);
    p += i * isz;
    if (kind == 'f' && isz == 8) {
        double d;
        memcpy(&d, p, 8);
        return d;
    }
    if (kind == 'f' && isz == 4) {
        float f;
        memcpy(&f, p, 4);
        return f;
    }
    if ((kind == 'i' || kind == 'u') && isz == 8) {
        int64_t x;
        memcpy(&x, p, 8);
        return kind == 'i' ? (double)x : (double)(uint64_t)x;
    }
    if ((kind == 'i' || kind == 'u') && isz == 4) {
        int32_t x;
        memcpy(&x, p, 4);
        return kind == 'i' ? (double)x : (double)(uint32_t)x;
    }
    return p[0];
}

typedef struct touch_stats {
    double sum;
    uint64_t arrays;
    jlp_storage storage; /* of the first array */
    int aligned;         /* all arrays aligned */
} touch_stats;

static void touch_array(const jlp_val *v, touch_stats *ts) {
    jlp_array_info ai = JLP_ARRAY_INFO_INIT;
    if (!jlp_array_get(v, &ai) || !ai.data || !ai.count) return;
    if (!ts->arrays) ts->storage = ai.storage;
    ts->aligned &= ai.aligned;
    ts->arrays++;
    ts->sum += element(&ai, 0);
    ts->sum += element(&ai, ai.count / 2);
    ts->sum += element(&ai, ai.count - 1);
}

/* The root, or the values of a root dict / items of a root list or tuple. */
static touch_stats touch(const jlp_val *root) {
    touch_stats ts = {0.0, 0, JLP_STORE_NONE, 1};
    jlp_type t = jlp_get_type(root);
    if (t == JLP_NDARRAY) {
        touch_array(root, &ts);
    } else if (t == JLP_DICT) {
        for (size_t i = 0; i < jlp_len(root); i++) touch_array(jlp_dict_value(root, i), &ts);
    } else if (t == JLP_LIST || t == JLP_TUPLE) {
        for (size_t i = 0; i < jlp_len(root); i++) touch_array(jlp_item(root, i), &ts);
    }
    return ts;
}

static const char *storage_name(jlp_storage s) {
    switch (s) {
    case JLP_STORE_NONE: return "none";
    case JLP_STORE_ARENA: return "arena";
    case JLP_STORE_BORROWED: return "borrowed";
    case JLP_STORE_MMAP: return "mmap";
    }
    return "?";
}

static void report_error(const char *path, const jlp_error *err) {
    fprintf(stderr, "bench_file: %s: error at byte %llu (input byte %llu): %s: %s\n", path,
            (unsigned long long)err->offset, (unsigned long long)err->input_offset,
            jlp_error_name(err->code), err->msg);
}

static int parse_count(const char *s, long lo, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > 1000000) return 0;
    *out = v;
    return 1;
}

static void usage(void) {
    fprintf(stderr, "usage: bench_file [--mmap | --cow] [--threads N] [--inflate zlib] [--warmup N] [--warmup-file PATH] FILE [REPEAT]\n"
                    "       bench_file --alloc-touch NBYTES CHUNK [REPEAT [WARMUP]]\n"
                    "       bench_file --read-only | --read-reuse [--warmup N] FILE [REPEAT]\n");
}

static void print_samples(const char *key, const double *v, long n) {
    printf("%s=", key);
    for (long k = 0; k < n; k++) printf("%s%.9f", k ? "," : "", v[k]);
    printf("\n");
}

/* --alloc-touch: allocate like common/alloc.c's std_malloc, write every byte, free. */
#define HUGE_BLOCK ((size_t)2 << 20)
static int alloc_touch(const char *nbytes_s, const char *chunk_s, long repeat, long warmup) {
    char *end;
    errno = 0;
    unsigned long long nbytes = strtoull(nbytes_s, &end, 10);
    if (errno || *end || end == nbytes_s) { usage(); return 2; }
    unsigned long long chunk = strtoull(chunk_s, &end, 10);
    if (errno || *end || end == chunk_s || chunk == 0) { usage(); return 2; }
    size_t nblocks = (size_t)((nbytes + chunk - 1) / chunk);
    void **blocks = calloc(nblocks ? nblocks : 1, sizeof *blocks);
    double *wall = malloc((size_t)repeat * sizeof *wall), *cpu = malloc((size_t)repeat * sizeof *cpu);
    if (!blocks || !wall || !cpu) return 1;
    for (long k = -warmup; k < repeat; k++) {
        double t0 = now_s(), c0 = cpu_s();
        unsigned long long left = nbytes;
        for (size_t b = 0; b < nblocks; b++) {
            size_t n = (size_t)(left < chunk ? left : chunk);
            left -= n;
            void *p = NULL;
            if (n >= HUGE_BLOCK) {
                if (posix_memalign(&p, HUGE_BLOCK, n) != 0) return 1;
#ifdef MADV_HUGEPAGE
                madvise(p, n & ~(HUGE_BLOCK - 1), MADV_HUGEPAGE);
#endif
            } else if (!(p = malloc(n))) {
                return 1;
            }
            memset(p, (int)(b & 0x7f) + 1, n);
            blocks[b] = p;
        }
        double t1 = now_s(), c1 = cpu_s();
        for (size_t b = 0; b < nblocks; b++) free(blocks[b]);
        if (k >= 0) {
            wall[k] = t1 - t0;
            cpu[k] = c1 - c0;
        }
    }
    print_samples("load_samples_s", wall, repeat);
    print_samples("load_cpu_samples_s", cpu, repeat);
    printf("load_median_s=%.9f\n", median_of(wall, (size_t)repeat));
    printf("load_cpu_median_s=%.9f\n", median_of(cpu, (size_t)repeat));
    printf("peak_rss_kib=%ld\n", peak_rss_kib());
    free(blocks);
    free(wall);
    free(cpu);
    return fflush(stdout) ? 1 : 0;
}

/* --read-only: one read() pass of the whole file into a fresh huge-page-advised buffer. */
static int read_only(const char *path, long repeat, long warmup, int reuse) {
    double *wall = malloc((size_t)repeat * sizeof *wall), *cpu = malloc((size_t)repeat * sizeof *cpu);
    if (!wall || !cpu) return 1;
    long baseline = peak_rss_kib();
    double sum = 0;
    void *kept = NULL;
    for (long k = -warmup; k < repeat; k++) {
        double t0 = now_s(), c0 = cpu_s();
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) { perror(path); return 1; }
        size_t n = (size_t)st.st_size;
        void *p = kept;
        if (!p) {
            if (posix_memalign(&p, HUGE_BLOCK, n ? n : 1) != 0) return 1;
#ifdef MADV_HUGEPAGE
            madvise(p, n & ~(HUGE_BLOCK - 1), MADV_HUGEPAGE);
#endif
        }
        size_t got = 0;
        while (got < n) {
            ssize_t r = read(fd, (char *)p + got, n - got > ((size_t)1 << 30) ? (size_t)1 << 30 : n - got);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) { perror(path); return 1; }
            got += (size_t)r;
        }
        close(fd);
        double d[3];
        memcpy(&d[0], (char *)p, 8);
        memcpy(&d[1], (char *)p + n / 2, 8);
        memcpy(&d[2], (char *)p + n - 8, 8);
        sum = d[0] + d[1] + d[2];
        double t1 = now_s(), c1 = cpu_s();
        if (reuse) kept = p;
        else free(p);
        if (k >= 0) {
            wall[k] = t1 - t0;
            cpu[k] = c1 - c0;
        }
    }
    print_samples("load_samples_s", wall, repeat);
    print_samples("load_cpu_samples_s", cpu, repeat);
    printf("load_median_s=%.9f\n", median_of(wall, (size_t)repeat));
    printf("load_cpu_median_s=%.9f\n", median_of(cpu, (size_t)repeat));
    printf("peak_rss_kib=%ld\n", peak_rss_kib());
    printf("baseline_rss_kib=%ld\n", baseline);
    printf("checksum_bytes=%.17g\n", sum);
    free(wall);
    free(cpu);
    free(kept);
    return fflush(stdout) ? 1 : 0;
}

/* The library's internal inflate switch (codec/codec.h): 1 = zlib's inflate. */
extern int jlp__inflate_backend;

int main(int argc, char **argv) {
    jlp_read_opts opts;
    jlp_read_opts_init(&opts);
    long warmup = 1, repeat = 10;
    const char *warm_file = NULL, *path = NULL;
    int i = 1;
    if (argc >= 4 && argc <= 6 && !strcmp(argv[1], "--alloc-touch")) {
        if (argc >= 5 && !parse_count(argv[4], 1, &repeat)) { usage(); return 2; }
        if (argc == 6 && !parse_count(argv[5], 0, &warmup)) { usage(); return 2; }
        return alloc_touch(argv[2], argv[3], repeat, warmup);
    }
    int read_mode = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--read-only")) {
            read_mode = 1;
        } else if (!strcmp(argv[i], "--read-reuse")) {
            read_mode = 2;
        } else if (!strcmp(argv[i], "--mmap")) {
            opts.mmap = JLP_MMAP_READONLY;
        } else if (!strcmp(argv[i], "--cow")) {
            opts.mmap = JLP_MMAP_COPY_ON_WRITE;
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            long t;
            if (!parse_count(argv[++i], 0, &t)) { usage(); return 2; }
            opts.threads = (int)t;
        } else if (!strcmp(argv[i], "--inflate") && i + 1 < argc && !strcmp(argv[i + 1], "zlib")) {
            jlp__inflate_backend = 1;
            i++;
        } else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) {
            if (!parse_count(argv[++i], 0, &warmup)) { usage(); return 2; }
        } else if (!strcmp(argv[i], "--warmup-file") && i + 1 < argc) {
            warm_file = argv[++i];
        } else {
            usage();
            return 2;
        }
    }
    if (i >= argc || argc - i > 2) { usage(); return 2; }
    path = argv[i];
    if (argc - i == 2 && !parse_count(argv[i + 1], 1, &repeat)) { usage(); return 2; }
    if (read_mode) return read_only(path, repeat, warmup, read_mode == 2);

    jlp_error err;
    if (warm_file) {
        jlp_doc *doc = jlp_load_path(warm_file, &opts, &err);
        if (!doc) { report_error(warm_file, &err); return 1; }
        (void)touch(jlp_doc_root(doc));
        jlp_doc_free(doc);
    }
    long baseline = peak_rss_kib();

    double *load_t = malloc((size_t)repeat * sizeof *load_t);
    double *free_t = malloc((size_t)repeat * sizeof *free_t);
    double *cpu_t = malloc((size_t)repeat * sizeof *cpu_t);
    if (!load_t || !free_t || !cpu_t) {
        fprintf(stderr, "bench_file: out of memory\n");
        return 1;
    }

    touch_stats ts = {0};
    uint64_t alloc_bytes = 0, decoded = 0, arrays = 0;
    const char *container = "?", *generation = NULL, *root_type = "invalid";
    size_t root_len = 0;
    for (long k = -warmup; k < repeat; k++) {
        double c0 = cpu_s();
        double t0 = now_s();
        jlp_doc *doc = jlp_load_path(path, &opts, &err);
        if (!doc) { report_error(path, &err); return 1; }
        ts = touch(jlp_doc_root(doc));
        double t1 = now_s();
        double c1 = cpu_s();
        alloc_bytes = jlp_doc_alloc_bytes(doc);
        decoded = jlp_doc_consumed(doc);
        arrays = jlp_doc_array_count(doc);
        container = jlp_doc_container(doc);
        generation = jlp_doc_generation(doc);
        root_type = jlp_type_name(jlp_get_type(jlp_doc_root(doc)));
        root_len = jlp_len(jlp_doc_root(doc));
        double t2 = now_s();
        jlp_doc_free(doc);
        double t3 = now_s();
        if (k >= 0) {
            load_t[k] = t1 - t0;
            free_t[k] = t3 - t2;
            cpu_t[k] = c1 - c0;
        }
    }

    print_samples("load_samples_s", load_t, repeat);
    print_samples("load_cpu_samples_s", cpu_t, repeat);
    double best = load_t[0];
    for (long k = 1; k < repeat; k++)
        if (load_t[k] < best) best = load_t[k];
    printf("file=%s\n", path);
    printf("mmap=%d\n", opts.mmap);
    printf("library_version=%s\n", jlp_version_string());
    printf("repeat=%ld\n", repeat);
    printf("warmup=%ld\n", warmup);
    printf("load_best_s=%.9f\n", best);
    printf("load_median_s=%.9f\n", median_of(load_t, (size_t)repeat));
    printf("free_median_s=%.9f\n", median_of(free_t, (size_t)repeat));
    printf("load_cpu_median_s=%.9f\n", median_of(cpu_t, (size_t)repeat));
    printf("peak_rss_kib=%ld\n", peak_rss_kib());
    printf("baseline_rss_kib=%ld\n", baseline);
    printf("checksum=%.17g\n", ts.sum);
    printf("touched_arrays=%llu\n", (unsigned long long)ts.arrays);
    printf("storage=%s\n", storage_name(ts.storage));
    printf("aligned=%d\n", ts.aligned);
    printf("arrays=%llu\n", (unsigned long long)arrays);
    printf("decoded_bytes=%llu\n", (unsigned long long)decoded);
    printf("doc_alloc_bytes=%llu\n", (unsigned long long)alloc_bytes);
    printf("container=%s\n", container ? container : "?");
    printf("generation=%s\n", generation ? generation : "none");
    printf("root_type=%s\n", root_type);
    printf("root_len=%zu\n", root_len);
    free(load_t);
    free(free_t);
    free(cpu_t);
    return fflush(stdout) ? 1 : 0;
}
