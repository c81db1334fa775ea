/*
 * test_mmap.c - how jlp_load_path reads a file: a mapped load reads the opcodes and
 * lends payloads from the mapping without touching them (mincore after evicting the
 * file from the page cache), the copy-on-write mapping edits in place and never the
 * file, and a large payload read by several threads gives the same bytes and leaves the
 * descriptor where one read() would; a small file costs one read().
 */
#include "harness.h"
#include "util.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A joblib file at `path` holding a float64 array of n elements, element i = i. */
static void write_array_file(const char *path, size_t n, int fd) {
    double *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = (double)i;
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_error err;
    uint64_t shape[1] = {n};
    jlp_val *a = jlp_new_array(d, jlp_new_dtype(d, "<f8", &err), 1, shape, 'C', v, n * sizeof *v, JLP_BORROW, &err);
    jlp_doc_set_root(d, a);
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    jlp_code c = fd >= 0 ? jlp_dump_fd(a, fd, &o, &err) : jlp_dump_path(a, path, &o, &err);
    if (c != JLP_OK) TH_FAIL("write: %s", err.msg);
    jlp_doc_free(d);
    free(v);
}

/* Pages of `path` in the page cache. */
static size_t resident_pages(const char *path) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    size_t len = (size_t)st.st_size, pages = (len + 4095) / 4096, n = 0;
    void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    unsigned char *vec = malloc(pages);
    if (m != MAP_FAILED && mincore(m, len, vec) == 0)
        for (size_t i = 0; i < pages; i++) n += vec[i] & 1;
    if (m != MAP_FAILED) munmap(m, len);
    free(vec);
    return n;
}

static void evict(const char *path) {
    int fd = open(path, O_RDONLY);
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}

static double element(const jlp_val *a, size_t i) {
    jlp_array_info info;
    info.size = sizeof info;
    CHECK(jlp_array_get(a, &info));
    double x;
    memcpy(&x, (const uint8_t *)info.data + i * 8, 8);
    return x;
}

TEST(mapped_load_reads_only_the_opcode_pages) {
    char path[] = "/tmp/jlp-mmap-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    size_t n = (size_t)4 << 20; /* 32 MiB of float64: 8192 pages */
    write_array_file(path, n, -1);
    evict(path);
    size_t before = resident_pages(path);
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.mmap = JLP_MMAP_READONLY;
    jlp_error err;
    jlp_doc *d = jlp_load_path(path, &o, &err);
    CHECK(d != NULL);
    size_t after = resident_pages(path);
    if (before == 0) {
        /* the header page, the page with STOP at the end, the kernel's smallest
         * read-ahead: nothing near the 8192 pages of the payload */
        if (after > 16) TH_FAIL("a mapped load brought %zu pages of the file into the page cache", after);
    } else {
        fprintf(stderr, "  note: the page cache kept %zu pages of the file; residency not checked\n", before);
    }
    if (d) {
        jlp_array_info info;
        info.size = sizeof info;
        CHECK(jlp_array_get(jlp_doc_root(d), &info));
        CHECK_INT(info.storage, JLP_STORE_MMAP);
        CHECK(element(jlp_doc_root(d), 0) == 0.0);
        CHECK(element(jlp_doc_root(d), n - 1) == (double)(n - 1));
        /* the array cannot be edited in place: it is copied into the document first */
        void *w = jlp_array_data_mut(d, (jlp_val *)(uintptr_t)jlp_doc_root(d));
        CHECK(w != NULL && w != info.data);
    }
    jlp_doc_free(d);
    unlink(path);
}

TEST(copy_on_write_mapping_edits_in_place_never_the_file) {
    char path[] = "/tmp/jlp-cow-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    size_t n = 100000;
    write_array_file(path, n, -1);
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.mmap = JLP_MMAP_COPY_ON_WRITE;
    jlp_error err;
    jlp_doc *d = jlp_load_path(path, &o, &err);
    CHECK(d != NULL);
    if (!d) return;
    jlp_val *root = (jlp_val *)(uintptr_t)jlp_doc_root(d);
    jlp_array_info info;
    info.size = sizeof info;
    CHECK(jlp_array_get(root, &info));
    CHECK_INT(info.storage, JLP_STORE_MMAP);
    double *w = jlp_array_data_mut(d, root);
    CHECK(w == info.data);   /* in place: no copy */
    if (w) w[7] = -1.5;
    CHECK(element(root, 7) == -1.5);
    CHECK(element(root, 8) == 8.0);
    /* the file still holds 7.0: a load of it says so */
    jlp_doc *again = jlp_load_path(path, NULL, &err);
    CHECK(again && element(jlp_doc_root(again), 7) == 7.0);
    jlp_doc_free(again);
    jlp_doc_free(d);
    unlink(path);
}

TEST(large_payload_read_by_several_threads) {
    /* two pickles in one file: a 72 MiB array (read in parallel when threads > 1), then
     * a small one that must follow exactly where the first ends */
    char path[] = "/tmp/jlp-par-XXXXXX";
    int fd = mkstemp(path);
    size_t n = (size_t)9 << 20;
    write_array_file(path, n, fd);
    write_array_file(path, 5, fd);
    close(fd);
    static const int threads[] = {1, 2, 3, 0};
    for (int k = 0; k < 4; k++) {
        jlp_read_opts o = JLP_READ_OPTS_INIT;
        o.threads = threads[k];
        jlp_error err;
        int rfd = open(path, O_RDONLY);
        jlp_source *src = jlp_source_fd(rfd, NULL, &err);
        jlp_doc *a = jlp_load(src, &o, &err);
        jlp_doc *b = jlp_load(src, &o, &err);
        if (!a || !b) TH_FAIL("threads %d: %s", threads[k], err.msg);
        if (a) {
            jlp_array_info info;
            info.size = sizeof info;
            CHECK(jlp_array_get(jlp_doc_root(a), &info));
            CHECK_INT(info.count, n);
            const double *x = info.data;
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) bad += x[i] != (double)i;
            CHECK_INT(bad, 0);
        }
        if (b) CHECK(element(jlp_doc_root(b), 4) == 4.0);
        CHECK_INT(jlp_source_at_eof(src, &err), 1);
        CHECK_INT(lseek(rfd, 0, SEEK_CUR), lseek(rfd, 0, SEEK_END));
        jlp_doc_free(a);
        jlp_doc_free(b);
        jlp_source_free(src);
        close(rfd);
    }
    unlink(path);
}

TEST(read_options_are_checked) {
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    jlp_error err;
    static const uint8_t pk[] = {0x80, 0x04, 0x4b, 0x07, 0x2e};   /* 7 */
    o.threads = -1;
    CHECK(jlp_load_mem(pk, sizeof pk, &o, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_INVALID_ARG);
    o.threads = 0;
    o.mmap = 3;
    CHECK(jlp_load_mem(pk, sizeof pk, &o, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_INVALID_ARG);
    o.mmap = 0;
    o.reserved = 1;
    CHECK(jlp_load_mem(pk, sizeof pk, &o, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_UNSUPPORTED);
    o.reserved = 0;
    jlp_doc *d = jlp_load_mem(pk, sizeof pk, &o, NULL, &err);
    CHECK(d != NULL);
    jlp_doc_free(d);
}

TEST(mapped_source_lends_payloads_of_several_pickles) {
    /* jlp_source_path_mapped: two pickles in one file, each array lent from the mapping;
     * a compressed file through it reads as through jlp_source_path */
    char path[] = "/tmp/jlp-msrc-XXXXXX";
    int fd = mkstemp(path);
    write_array_file(path, 3000, fd);
    write_array_file(path, 7, fd);
    close(fd);
    jlp_error err;
    jlp_source *src = jlp_source_path_mapped(path, NULL, &err);
    CHECK(src != NULL);
    if (!src) return;
    for (int k = 0; k < 2; k++) {
        jlp_doc *d = jlp_load(src, NULL, &err);
        CHECK(d != NULL);
        if (!d) break;
        jlp_array_info info;
        info.size = sizeof info;
        CHECK(jlp_array_get(jlp_doc_root(d), &info));
        CHECK_INT(info.storage, JLP_STORE_MMAP);
        CHECK_INT(info.count, k ? 7 : 3000);
        CHECK(element(jlp_doc_root(d), 5) == 5.0);
        jlp_doc_free(d);
    }
    CHECK_INT(jlp_source_at_eof(src, &err), 1);
    jlp_source_free(src);
    /* not a regular file */
    CHECK(jlp_source_path_mapped("/tmp", NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_MMAP);
    /* compressed: decoded into the document */
    char gz[64];
    snprintf(gz, sizeof gz, "%s.gz", path);
    jlp_doc *d = jlp_load_path(path, NULL, &err);
    jlp_write_opts wo = JLP_WRITE_OPTS_INIT;
    CHECK_INT(jlp_dump_path(jlp_doc_root(d), gz, &wo, &err), JLP_OK);
    jlp_doc_free(d);
    src = jlp_source_path_mapped(gz, NULL, &err);
    d = src ? jlp_load(src, NULL, &err) : NULL;
    CHECK(d != NULL);
    if (d) {
        jlp_array_info info;
        info.size = sizeof info;
        CHECK(jlp_array_get(jlp_doc_root(d), &info));
        CHECK_INT(info.storage, JLP_STORE_ARENA);
        CHECK(element(jlp_doc_root(d), 2999) == 2999.0);
        CHECK_STR(jlp_doc_container(d), "gzip");
    }
    jlp_doc_free(d);
    jlp_source_free(src);
    unlink(gz);
    unlink(path);
}

/* read() calls of this process so far (/proc/self/io's syscr), or -1. */
static long read_calls(void) {
    FILE *f = fopen("/proc/self/io", "r");
    if (!f) return -1;
    char line[128];
    long n = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "syscr: %ld", &n) == 1) break;
    fclose(f);
    return n;
}

/* A small file is read with one read(): the source stops at the size the file had when
 * opened instead of asking the kernel for more and getting 0 (two before). A raw pickle
 * there still reports truncation as before. */
TEST(small_file_one_read) {
    char path[] = "/tmp/jlp-small-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    static const uint8_t pk[] = "\x80\x02X\x05\x00\x00\x00hello."; /* no frame */
    CHECK(write(fd, pk, sizeof pk - 1) == (ssize_t)(sizeof pk - 1));
    close(fd);
    long base0 = read_calls(), base1 = read_calls();
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "vgpreload")) base0 = -1; /* valgrind reads files of its own */
    if (base0 < 0) {
        printf("  (no /proc/self/io, or under valgrind: skipped)\n");
        unlink(path);
        return;
    }
    long per_probe = base1 - base0; /* the probe's own reads */
    jlp_error err;
    long before = read_calls();
    jlp_doc *d = jlp_load_path(path, NULL, &err);
    long reads = read_calls() - before - per_probe;
    CHECK(d != NULL);
    CHECK_INT(reads, 1);
    if (d) CHECK_STR(jlp_get_str(jlp_doc_root(d), NULL), "hello");
    jlp_doc_free(d);
    /* the same file without its STOP is still truncated, at its end */
    CHECK(truncate(path, (off_t)(sizeof pk - 2)) == 0);
    d = jlp_load_path(path, NULL, &err);
    CHECK(d == NULL);
    CHECK_INT(err.code, JLP_E_TRUNCATED);
    CHECK_INT(err.offset, sizeof pk - 2);
    jlp_doc_free(d);
    unlink(path);
}

/* A small joblib file with arrays is read whole, with one read(), and its arrays are lent
 * from the block the document keeps (alive after the file is gone); a file above the
 * threshold streams each array into a block of its own. */
TEST(small_file_with_arrays_one_read) {
    char path[] = "/tmp/jlp-smallarr-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    jlp_doc *w = jlp_doc_new(NULL);
    jlp_error err;
    jlp_val *list = jlp_new_list(w);
    double v[3][500];
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 500; i++) v[k][i] = k * 1000 + i;
        uint64_t shape[1] = {500};
        jlp_val *a = jlp_new_array(w, jlp_new_dtype(w, "<f8", &err), 1, shape, 'C', v[k], sizeof v[k], JLP_BORROW,
                                   &err);
        CHECK_INT(jlp_list_append(w, list, a), JLP_OK);
    }
    jlp_doc_set_root(w, list);
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    CHECK_INT(jlp_dump_path(list, path, &o, &err), JLP_OK);
    jlp_doc_free(w);
    long base0 = read_calls(), base1 = read_calls();
    const char *pre = getenv("LD_PRELOAD");
    bool count = base0 >= 0 && !(pre && strstr(pre, "vgpreload"));
    long before = read_calls();
    jlp_doc *d = jlp_load_path(path, NULL, &err);
    long reads = read_calls() - before - (base1 - base0);
    CHECK(d != NULL);
    if (count) CHECK_INT(reads, 1);
    unlink(path);
    if (d) {
        CHECK_INT(jlp_len(jlp_doc_root(d)), 3);
        for (size_t k = 0; k < 3; k++) {
            char ptr[8];
            snprintf(ptr, sizeof ptr, "/%zu", k);
            const jlp_val *a = jlp_at(jlp_doc_root(d), ptr, &err);
            jlp_array_info info;
            info.size = sizeof info;
            CHECK(jlp_array_get(a, &info));
            CHECK_INT(info.storage, JLP_STORE_BORROWED);
            CHECK_INT(info.count, 500);
            CHECK(((uintptr_t)info.data % 8) == 0);
            CHECK(element(a, 499) == k * 1000 + 499.0);
        }
    }
    jlp_doc_free(d);
    /* above the threshold (4 MiB): streamed, the array in a block of its own */
    write_array_file(path, (size_t)5 << 17, -1); /* 5 MiB of float64 */
    d = jlp_load_path(path, NULL, &err);
    CHECK(d != NULL);
    if (d) {
        jlp_array_info info;
        info.size = sizeof info;
        CHECK(jlp_array_get(jlp_doc_root(d), &info));
        CHECK_INT(info.storage, JLP_STORE_ARENA);
        CHECK(element(jlp_doc_root(d), 655359) == 655359.0);
    }
    jlp_doc_free(d);
    unlink(path);
}
