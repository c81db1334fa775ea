/*
 * test_durable.c - jlp_write_opts.durable: what jlp_dump_path asks of the kernel.
 *
 * fsync() and sync_file_range() are defined here, so the library linked statically into
 * this test calls these, which count the calls and then make the system call: a durable
 * write (the default) fsyncs the file and its directory and starts write-back every 32 MiB
 * as the file grows; durable = 0 makes neither call; the bytes and the atomic replacement
 * are the same either way.
 */
#define _GNU_SOURCE /* sync_file_range */
#include "harness.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

static int n_fsync, n_range_write, n_range_wait;

int fsync(int fd) {
    n_fsync++;
    return (int)syscall(SYS_fsync, fd);
}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) {
    if (flags & SYNC_FILE_RANGE_WAIT_AFTER) n_range_wait++;
    else n_range_write++;
    return (int)syscall(SYS_sync_file_range, fd, offset, nbytes, flags);
}

static void reset_counts(void) { n_fsync = n_range_write = n_range_wait = 0; }

/* A fresh directory for one test (removed by rm_dir). */
static char *make_dir(void) {
    char *d = malloc(64);
    snprintf(d, 64, "/tmp/jlp-durable-XXXXXX");
    if (!mkdtemp(d)) {
        free(d);
        return NULL;
    }
    return d;
}

/* @return the number of entries in `dir` besides . and .., removing them when asked. */
static int count_entries(const char *dir, int remove) {
    DIR *dh = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (dh && (e = readdir(dh))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        n++;
        if (remove) {
            char p[512];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    }
    if (dh) closedir(dh);
    return n;
}

static void rm_dir(char *dir) {
    count_entries(dir, 1);
    rmdir(dir);
    free(dir);
}

/* A document whose root is a bytes value of `n` bytes (byte i = i * 7). */
static jlp_doc *bytes_doc(size_t n) {
    jlp_doc *d = jlp_doc_new(NULL);
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 7);
    jlp_doc_set_root(d, jlp_new_bytes(d, p, n));
    free(p);
    return d;
}

/* Dump `d` to dir/out.pkl with `o`; the file must hold what jlp_dump_mem writes. */
static void dump_and_compare(jlp_doc *d, const char *dir, const jlp_write_opts *o) {
    char path[512];
    snprintf(path, sizeof path, "%s/out.pkl", dir);
    jlp_error err;
    if (jlp_dump_path(jlp_doc_root(d), path, o, &err) != JLP_OK) TH_FAIL("%s", err.msg);
    void *mem = NULL;
    size_t mlen = 0, flen = 0;
    CHECK_INT(jlp_dump_mem(jlp_doc_root(d), o, &mem, &mlen, &err), JLP_OK);
    char *file = slurp(path, &flen);
    CHECK_INT(flen, mlen);
    CHECK(file && mem && !memcmp(file, mem, mlen));
    CHECK_INT(count_entries(dir, 0), 1);   /* renamed into place, no temporary file left */
    free(file);
    free(mem);
}

TEST(durable_by_default_fsyncs_file_and_directory) {
    char *dir = make_dir();
    jlp_doc *d = bytes_doc(1000);
    reset_counts();
    dump_and_compare(d, dir, NULL);
    CHECK_INT(n_fsync, 2);
    CHECK_INT(n_range_write, 0);   /* a small file is written before any chunk is full */
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    CHECK_INT(o.durable, 1);
    jlp_write_opts oi;
    jlp_write_opts_init(&oi);
    CHECK_INT(oi.durable, 1);
    jlp_doc_free(d);
    rm_dir(dir);
}

TEST(durable_zero_makes_no_sync_call) {
    char *dir = make_dir();
    jlp_doc *d = bytes_doc((size_t)70 << 20);
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    o.durable = 0;
    reset_counts();
    dump_and_compare(d, dir, &o);
    CHECK_INT(n_fsync, 0);
    CHECK_INT(n_range_write, 0);
    CHECK_INT(n_range_wait, 0);
    /* replacing an existing file works the same */
    dump_and_compare(d, dir, &o);
    CHECK_INT(n_fsync, 0);
    jlp_doc_free(d);
    rm_dir(dir);
}

TEST(durable_write_back_overlaps_the_writing) {
    /* 70 MiB: the chunks [0, 32) and [32, 64) MiB get their write-back started as soon
     * as they are written, and the first is waited for when the second starts; the
     * final fsync has the rest */
    char *dir = make_dir();
    jlp_doc *d = bytes_doc((size_t)70 << 20);
    reset_counts();
    dump_and_compare(d, dir, NULL);
    CHECK_INT(n_range_write, 2);
    CHECK_INT(n_range_wait, 1);
    CHECK_INT(n_fsync, 2);
    jlp_doc_free(d);
    rm_dir(dir);
}

TEST(durable_from_an_older_header_defaults_to_on) {
    /* a program built before the field existed passes a shorter struct */
    char *dir = make_dir();
    jlp_doc *d = bytes_doc(100);
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    o.size = offsetof(jlp_write_opts, durable);
    o.durable = 0;   /* outside the caller's size: not read */
    reset_counts();
    dump_and_compare(d, dir, &o);
    CHECK_INT(n_fsync, 2);
    /* a set reserved field is an option of a newer library: refused, nothing written */
    jlp_write_opts r = JLP_WRITE_OPTS_INIT;
    r.reserved = 1;
    char path[512];
    snprintf(path, sizeof path, "%s/r.pkl", dir);
    jlp_error err;
    CHECK_INT(jlp_dump_path(jlp_doc_root(d), path, &r, &err), JLP_E_UNSUPPORTED);
    CHECK_INT(count_entries(dir, 0), 1);
    jlp_doc_free(d);
    rm_dir(dir);
}
