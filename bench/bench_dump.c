/*
 * bench_dump - time libjlpickle's writers (the C side of bench/dump.py).
 *
 *   bench_dump array  [--fd | --no-durable] NBYTES OUT REPEAT
 *       Build a document holding one float64 array of NBYTES bytes (element i = i, the
 *       bytes borrowed from this process with JLP_BORROW, as np.arange would hold them)
 *       and time jlp_dump_path(root, OUT, default options): uncompressed joblib format,
 *       written atomically (temporary file, fsync, rename). --fd: time open(OUT) +
 *       jlp_dump_fd() + close() instead, which skips the fsync (for information).
 *       --no-durable: jlp_dump_path() with jlp_write_opts.durable = 0 (atomic, no fsync).
 *   bench_dump pickle [--protocol P] [--numpy] [--path] [--fd OUT] FILE REPEAT [WRITE_TO]
 *       Load the pickle FILE with jlp_load_mem() once (untimed), one untimed warm-up dump,
 *       then time jlp_dump_mem(root, protocol 4) REPEAT times (each output freed outside
 *       the timer). WRITE_TO: also save one output there (for a correctness check).
 *       --protocol P: write protocol P (0-5) instead of 4. --numpy: arrays as numpy's
 *       own reduce (JLP_ARRAYS_NUMPY, what pickle.dumps writes) instead of joblib's
 *       wrapper. --path: load FILE with jlp_load_path() (a joblib file, its arrays
 *       copied into the document). --fd OUT: time open(OUT) + jlp_dump_fd() + close()
 *       (no fsync, as joblib.dump) instead of jlp_dump_mem().
 *   bench_dump codec  [--fd] FILE CODEC LEVEL THREADS OUT REPEAT
 *       Load the joblib file FILE with jlp_load_path() once (untimed; data copied into the
 *       document), then time jlp_dump_path(root, OUT) with opts.codec = CODEC,
 *       opts.level = LEVEL (-1: the codec's joblib default), opts.threads = THREADS.
 *       --fd: time open(OUT) + jlp_dump_fd() + close() instead (no fsync, as joblib.dump).
 *
 * Before every timed dump to a file, OUT is removed and sync() is called (both untimed),
 * so that no sample pays for the write-back of the previous one.
 *
 * Output: "key=value" lines on stdout, as bench_load and bench_file print them:
 *   dump_samples_s       every timed dump, in run order
 *   dump_best_s, dump_median_s
 *   cpu_samples_s        user + system CPU time of each timed dump (all threads)
 *   out_bytes            size of the last output
 *   baseline_rss_kib     VmHWM just before the first dump (after building/loading the
 *                        value; for `array`, after the array was written, i.e. including it)
 *   peak_rss_kib         VmHWM at exit
 *   payload_bytes        the array's bytes (array), or the input file's size
 * Exit status: 0 success, 1 load or dump error, 2 usage error.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "jlpickle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec * 1e-6;
}

/* Peak RSS in KiB: VmHWM (reset by exec, unlike ru_maxrss). */
static long peak_rss_kib(void) {
    FILE *fp = fopen("/proc/self/status", "r");
    long kib = -1;
    if (fp) {
        char line[256];
        while (fgets(line, sizeof line, fp))
            if (!strncmp(line, "VmHWM:", 6)) {
                kib = strtol(line + 6, NULL, 10);
                break;
            }
        fclose(fp);
    }
    return kib;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print_samples(const char *key, const double *v, int n) {
    printf("%s=", key);
    for (int i = 0; i < n; i++) printf("%s%.6f", i ? "," : "", v[i]);
    printf("\n");
}

static void report(const double *t, const double *cpu, int n, long long out_bytes, long baseline,
                   long long payload) {
    print_samples("dump_samples_s", t, n);
    print_samples("cpu_samples_s", cpu, n);
    double *s = malloc((size_t)n * sizeof *s);
    memcpy(s, t, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    printf("dump_best_s=%.6f\n", s[0]);
    printf("dump_median_s=%.6f\n", n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0);
    free(s);
    printf("out_bytes=%lld\n", out_bytes);
    printf("baseline_rss_kib=%ld\n", baseline);
    printf("peak_rss_kib=%ld\n", peak_rss_kib());
    printf("payload_bytes=%lld\n", payload);
    printf("libjlpickle=%s\n", jlp_version_string());
}

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void before_file_dump(const char *out) {
    unlink(out);
    sync();
}

static int die(const char *what, const jlp_error *err) {
    fprintf(stderr, "bench_dump: %s: %s (%s)\n", what, err ? err->msg : "", err ? jlp_error_name(err->code) : "");
    return 1;
}

static int run_array(int argc, char **argv) {
    int use_fd = 0;
    jlp_write_opts wo = JLP_WRITE_OPTS_INIT;
    for (; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
        if (!strcmp(argv[0], "--fd")) use_fd = 1;
        else if (!strcmp(argv[0], "--no-durable")) wo.durable = 0;
        else return 2;
    }
    if (argc != 3) return 2;
    size_t nbytes = (size_t)strtoull(argv[0], NULL, 10) & ~(size_t)7;
    const char *out = argv[1];
    int repeat = atoi(argv[2]);
    if (!nbytes || repeat < 1) return 2;
    size_t count = nbytes / sizeof(double);
    double *a = malloc(nbytes);
    if (!a) return die("cannot allocate the array", NULL);
    for (size_t i = 0; i < count; i++) a[i] = (double)i;   /* np.arange: every page touched */
    jlp_error err;
    jlp_doc *d = jlp_doc_new(NULL);
    uint64_t shape[1] = {count};
    jlp_val *dt = jlp_new_dtype(d, "<f8", &err);
    jlp_val *arr = dt ? jlp_new_array(d, dt, 1, shape, 'C', a, nbytes, JLP_BORROW, &err) : NULL;
    if (!arr) return die("jlp_new_array", &err);
    long baseline = peak_rss_kib();
    double *t = calloc((size_t)repeat, sizeof *t), *cpu = calloc((size_t)repeat, sizeof *cpu);
    for (int k = 0; k < repeat; k++) {
        before_file_dump(out);
        double c0 = cpu_s(), t0 = now_s();
        jlp_code c;
        if (use_fd) {
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0) return die(strerror(errno), NULL);
            c = jlp_dump_fd(arr, fd, NULL, &err);
            if (close(fd) != 0 && !c) c = JLP_E_IO;
        } else {
            c = jlp_dump_path(arr, out, &wo, &err);
        }
        t[k] = now_s() - t0;
        cpu[k] = cpu_s() - c0;
        if (c) return die("dump", &err);
    }
    report(t, cpu, repeat, file_size(out), baseline, (long long)nbytes);
    unlink(out);
    jlp_doc_free(d);
    free(a);
    free(t);
    free(cpu);
    return 0;
}

static void *slurp(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    void *p = malloc(len > 0 ? (size_t)len : 1);
    if (p && fread(p, 1, (size_t)len, fp) != (size_t)len) {
        free(p);
        p = NULL;
    }
    fclose(fp);
    *n = (size_t)len;
    return p;
}

static int run_pickle(int argc, char **argv) {
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    int by_path = 0;
    const char *fd_out = NULL;
    for (; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
        if (!strcmp(argv[0], "--protocol") && argc > 1) {
            o.protocol = atoi(argv[1]);
            argc--;
            argv++;
        } else if (!strcmp(argv[0], "--fd") && argc > 1) {
            fd_out = argv[1];
            argc--;
            argv++;
        } else if (!strcmp(argv[0], "--numpy")) {
            o.arrays = JLP_ARRAYS_NUMPY;
        } else if (!strcmp(argv[0], "--path")) {
            by_path = 1;
        } else {
            return 2;
        }
    }
    if (argc != 2 && argc != 3) return 2;
    int repeat = atoi(argv[1]);
    if (repeat < 1) return 2;
    size_t n = 0;
    void *data = NULL;
    jlp_error err;
    jlp_doc *d;
    if (by_path) {
        d = jlp_load_path(argv[0], NULL, &err);
        n = (size_t)file_size(argv[0]);
    } else {
        data = slurp(argv[0], &n);
        if (!data) return die("cannot read the input", NULL);
        d = jlp_load_mem(data, n, NULL, NULL, &err);
    }
    if (!d) return die("load", &err);
    void *out;
    size_t len = 0;
    if (jlp_dump_mem(jlp_doc_root(d), &o, &out, &len, &err)) return die("dump", &err);  /* warm-up */
    if (argc == 3) {
        FILE *fp = fopen(argv[2], "wb");
        if (!fp || fwrite(out, 1, len, fp) != len || fclose(fp)) return die("cannot write the copy", NULL);
    }
    free(out);
    long baseline = peak_rss_kib();
    double *t = calloc((size_t)repeat, sizeof *t), *cpu = calloc((size_t)repeat, sizeof *cpu);
    for (int k = 0; k < repeat; k++) {
        if (fd_out) before_file_dump(fd_out);
        double c0 = cpu_s(), t0 = now_s();
        jlp_code c;
        if (fd_out) {
            int fd = open(fd_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0) return die(strerror(errno), NULL);
            c = jlp_dump_fd(jlp_doc_root(d), fd, &o, &err);
            if (close(fd) != 0 && !c) c = JLP_E_IO;
        } else {
            c = jlp_dump_mem(jlp_doc_root(d), &o, &out, &len, &err);
        }
        t[k] = now_s() - t0;
        cpu[k] = cpu_s() - c0;
        if (c) return die("dump", &err);
        if (fd_out) len = (size_t)file_size(fd_out);
        else free(out);
    }
    if (fd_out) unlink(fd_out);
    report(t, cpu, repeat, (long long)len, baseline, (long long)n);
    jlp_doc_free(d);
    free(data);
    free(t);
    free(cpu);
    return 0;
}

static int run_codec(int argc, char **argv) {
    int use_fd = 0;
    if (argc > 0 && !strcmp(argv[0], "--fd")) {
        use_fd = 1;
        argc--;
        argv++;
    }
    if (argc != 6) return 2;
    const char *in = argv[0], *out = argv[4];
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    o.codec = argv[1];
    o.level = atoi(argv[2]);
    o.threads = atoi(argv[3]);
    int repeat = atoi(argv[5]);
    if (repeat < 1) return 2;
    jlp_error err;
    jlp_doc *d = jlp_load_path(in, NULL, &err);
    if (!d) return die("load", &err);
    long baseline = peak_rss_kib();
    double *t = calloc((size_t)repeat, sizeof *t), *cpu = calloc((size_t)repeat, sizeof *cpu);
    for (int k = 0; k < repeat; k++) {
        before_file_dump(out);
        double c0 = cpu_s(), t0 = now_s();
        jlp_code c;
        if (use_fd) {
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0) return die(strerror(errno), NULL);
            c = jlp_dump_fd(jlp_doc_root(d), fd, &o, &err);
            if (close(fd) != 0 && !c) c = JLP_E_IO;
        } else {
            c = jlp_dump_path(jlp_doc_root(d), out, &o, &err);
        }
        t[k] = now_s() - t0;
        cpu[k] = cpu_s() - c0;
        if (c) return die("dump", &err);
    }
    report(t, cpu, repeat, file_size(out), baseline, file_size(in));
    jlp_doc_free(d);
    free(t);
    free(cpu);
    return 0;
}

int main(int argc, char **argv) {
    int r = 2;
    if (argc >= 2 && !strcmp(argv[1], "array")) r = run_array(argc - 2, argv + 2);
    else if (argc >= 2 && !strcmp(argv[1], "pickle")) r = run_pickle(argc - 2, argv + 2);
    else if (argc >= 2 && !strcmp(argv[1], "codec")) r = run_codec(argc - 2, argv + 2);
    if (r == 2)
        fprintf(stderr, "usage: bench_dump array [--fd] NBYTES OUT REPEAT\n"
                        "       bench_dump pickle [--protocol P] [--numpy] [--path] [--fd OUT] FILE REPEAT [WRITE_TO]\n"
                        "       bench_dump codec [--fd] FILE CODEC LEVEL THREADS OUT REPEAT\n");
    return r;
}
