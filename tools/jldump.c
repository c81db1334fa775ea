/*
 * jldump - convert pickle and joblib files: recompress, change protocol, rewrite files
 * of older joblib generations in the current aligned layout so they memory-map.
 *
 *   jldump [-c CODEC[:LEVEL]] [-p PROTOCOL] [--numpy-arrays] [--threads N] [--no-fsync] [--verify] IN OUT
 *   jldump [options] --from-json IN.json OUT
 *   jldump [-c deflate] IN OUT.npz          (or --npz: a dict or list of arrays as .npz)
 *
 * IN may be an archive or ARCHIVE::MEMBER (jlp_load_path).
 * IN and OUT may be "-" (standard input / output). Output to a path is atomic. With
 * --from-json, IN is the tagged JSON of spec/JSON.md (what jlload --json prints), arrays
 * possibly given as {"$npy": "file.npy"} relative to IN's directory. When standard
 * error is a terminal and the input is over 64 MiB, a progress line shows the bytes
 * written. Exit
 * status: 0 success, 1 the input could not be loaded or the output not written (message
 * "FILE: error at byte N: CODE: message"), 2 usage error, 4 --verify found a difference.
 */
#include "cli.h"
#include "from_json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_VERIFY = 4 };

static void usage(FILE *out) {
    fputs("usage: jldump [options] IN OUT\n"
          "Load IN (a pickle or joblib file, any generation, any codec; - for standard input)\n"
          "without executing anything and write it to OUT (- for standard output) as joblib\n"
          "1.2+ writes files: arrays 16-byte aligned so uncompressed output memory-maps.\n"
          "  -c, --codec NAME[:LEVEL]  none, zlib, gzip, bz2, lzma, xz, lz4, zstd\n"
          "                            (default: from OUT's extension, none for -)\n"
          "  -p, --protocol N          pickle protocol 0-5 (default 4)\n"
          "      --numpy-arrays        write arrays with numpy's own reduce, so plain\n"
          "                            pickle.load reads the file without joblib\n"
          "      --threads N           compression threads (xz, zstd)\n"
          "      --no-fsync            do not wait for OUT to reach the disk (as joblib.dump);\n"
          "                            OUT is still replaced atomically\n"
          "      --verify              reload OUT and check it holds the same values\n"
          "      --from-json           IN is JSON as jlload --json prints it (spec/JSON.md);\n"
          "                            {\"$npy\": \"f.npy\"} takes an array from a .npy file\n"
          "      --npz                 write OUT as an .npz file numpy.load reads (implied by a\n"
          "                            .npz name): IN must hold a dict (or list) of arrays;\n"
          "                            -c deflate as numpy.savez_compressed, else as savez\n"
          CLI_BUDGET_USAGE
          "      --help, --version\n"
          "IN may be an archive (a checkpoint, .npz, tar or zip bundle) or ARCHIVE::MEMBER.\n"
          "Exit status: 0 success, 1 load or write error, 2 usage error,\n"
          "4 --verify found a difference.\n",
          out);
}

static int parse_codec(const char *arg, jlp_write_opts *o) {
    static char name[32];
    const char *colon = strchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
    if (!n || n >= sizeof name) return -1;
    memcpy(name, arg, n);
    name[n] = 0;
    o->codec = name;
    if (colon) {
        uint64_t level;
        if (cli_parse_u64(colon + 1, &level) || level > 64) return -1;
        o->level = (int)level;
    }
    return 0;
}

/* ---- reading IN -------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len) {
    FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!fp) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, fp);
        n += r;
        if (n < cap) break;
        char *p = realloc(buf, cap *= 2);
        if (!p) { free(buf); buf = NULL; }
        else buf = p;
    }
    int bad = ferror(fp);
    if (fp != stdin) fclose(fp);
    if (bad) { free(buf); return NULL; }
    *len = n;
    return buf;
}

static jlp_doc *load_json(const char *in) {
    size_t len;
    char *text = slurp(in, &len);
    if (!text) {
        fprintf(stderr, "%s: %s\n", in, strerror(errno ? errno : EIO));
        return NULL;
    }
    char *base = NULL, msg[512];
    const char *slash = strcmp(in, "-") ? strrchr(in, '/') : NULL;
    if (slash) base = strndup(in, (size_t)(slash - in) + (slash == in));
    jlp_doc *doc = from_json(text, len, base, msg, sizeof msg);
    if (!doc) fprintf(stderr, "%s:%s\n", in, msg);
    free(base);
    free(text);
    return doc;
}

/* ---- writing with a progress line ----------------------------------------------------- */

enum { PROGRESS_MIN = 64 << 20 };

typedef struct progress {
    int fd;
    const char *name;
    uint64_t written, shown;
    unsigned spin;
    double t0;
} progress;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_show(progress *p, int last) {
    static const char spin[] = "|/-\\";
    double secs = now() - p->t0;
    fprintf(stderr, "\r%c jldump: %s: %.1f MiB written (%.0f MiB/s)%s", last ? ' ' : spin[p->spin++ % 4],
            p->name, (double)p->written / 1048576.0, secs > 0 ? (double)p->written / 1048576.0 / secs : 0.0,
            last ? "\n" : "  ");
    p->shown = p->written;
}

static int progress_write(void *ctx, const void *data, size_t len) {
    progress *p = ctx;
    const char *b = data;
    while (len) {
        ssize_t w = write(p->fd, b, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        b += w;
        len -= (size_t)w;
        p->written += (uint64_t)w;
    }
    if (p->written - p->shown >= (4u << 20)) progress_show(p, 0);
    return 0;
}

/* the codec jlp_dump_path would take from the name, for writes through a callback */
static const char *codec_of(const char *path) {
    static const char *const map[][2] = { { ".z", "zlib" }, { ".gz", "gzip" }, { ".bz2", "bz2" },
                                          { ".lzma", "lzma" }, { ".xz", "xz" }, { ".lz4", "lz4" },
                                          { ".zst", "zstd" } };
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        size_t k = strlen(map[i][0]);
        if (n > k && !strcmp(path + n - k, map[i][0])) return map[i][1];
    }
    return "none";
}

/* jlp_dump_path / jlp_dump_fd, through a callback that reports progress; a path is
 * still written atomically (temporary file in the same directory, fsync unless
 * --no-fsync, rename) */
static jlp_code dump_progress(const jlp_val *root, const char *out, jlp_write_opts wo, jlp_error *err) {
    progress p = { STDOUT_FILENO, strcmp(out, "-") ? out : "<stdout>", 0, 0, 0, now() };
    char *tmp = NULL;
    if (strcmp(out, "-")) {
        if (!wo.codec) wo.codec = codec_of(out);
        size_t n = strlen(out) + 16;
        tmp = malloc(n);
        if (!tmp) { err->code = JLP_E_NOMEM; snprintf(err->msg, sizeof err->msg, "out of memory"); return JLP_E_NOMEM; }
        snprintf(tmp, n, "%s.XXXXXX", out);
        p.fd = mkstemp(tmp);
        if (p.fd < 0) {
            err->code = JLP_E_IO;
            err->offset = 0;
            err->input_offset = UINT64_MAX;
            snprintf(err->msg, sizeof err->msg, "%s", strerror(errno));
            free(tmp);
            return JLP_E_IO;
        }
        fchmod(p.fd, 0644);
    }
    jlp_code c = jlp_dump_cb(root, progress_write, &p, &wo, err);
    progress_show(&p, 1);
    if (tmp) {
        if (c == JLP_OK && ((wo.durable && fsync(p.fd) != 0) || close(p.fd) != 0 || rename(tmp, out) != 0)) {
            err->code = c = JLP_E_IO;
            snprintf(err->msg, sizeof err->msg, "%s", strerror(errno));
        } else if (c != JLP_OK) close(p.fd);
        if (c != JLP_OK) unlink(tmp);
        free(tmp);
    }
    return c;
}

static uint64_t input_size(const char *in, const jlp_doc *doc) {
    struct stat st;
    if (strcmp(in, "-") && stat(in, &st) == 0 && S_ISREG(st.st_mode)) return (uint64_t)st.st_size;
    return jlp_doc_alloc_bytes(doc);
}

static char *export(const jlp_val *v) {
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.max_items = 0; /* compare every element */
    jlp_error err;
    return jlp_export_json_str(v, &jo, NULL, &err);
}

static bool ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && !strcmp(s + n - k, tail);
}

/* OUT as .npz; --verify loads it back and compares each array with what was written. */
static int write_npz(const jlp_doc *doc, const char *out, const char *codec, bool verify) {
    int compress = 0;
    if (codec && (!strcmp(codec, "deflate") || !strcmp(codec, "zlib"))) compress = 1;
    else if (codec && strcmp(codec, "none") != 0 && strcmp(codec, "stored") != 0) {
        fprintf(stderr, "jldump: an .npz is stored or deflated (-c deflate), not %s\n", codec);
        return CLI_USAGE;
    }
    jlp_error err;
    const jlp_val *root = jlp_doc_root(doc);
    jlp_code c;
    if (!strcmp(out, "-")) {
        void *buf;
        size_t len;
        c = jlp_dump_npz_mem(root, compress, &buf, &len, &err);
        if (!c && fwrite(buf, 1, len, stdout) != len) {
            c = err.code = JLP_E_IO;
            snprintf(err.msg, sizeof err.msg, "%s", strerror(errno));
        }
        if (!c) free(buf);
    } else {
        c = jlp_dump_npz_path(root, out, compress, &err);
    }
    if (c) {
        cli_report(out, &err);
        return CLI_BAD_INPUT;
    }
    if (!verify || !strcmp(out, "-")) return CLI_OK;
    jlp_doc *back = jlp_load_path(out, NULL, &err);
    if (!back) {
        cli_report(out, &err);
        return EXIT_VERIFY;
    }
    /* the values in order: a dict's, a list's, a state dict's items, or the lone array */
    const jlp_val *src = root;
    if (jlp_get_type(root) == JLP_OBJECT) src = jlp_obj_dictitems(root);
    int status = CLI_OK;
    size_t n = jlp_get_type(src) == JLP_NDARRAY || jlp_get_type(src) == JLP_SCALAR ? 1 : jlp_len(src);
    if (n != jlp_len(jlp_doc_root(back))) status = EXIT_VERIFY;
    for (size_t i = 0; i < n && status == CLI_OK; i++) {
        const jlp_val *want = jlp_get_type(src) == JLP_DICT ? jlp_dict_value(src, i)
                              : n == 1 && !jlp_len(src) ? src : jlp_item(src, i);
        char *a = export(want), *b = export(jlp_dict_value(jlp_doc_root(back), i));
        /* a numpy scalar comes back as a 0-d array: compare the values only */
        if (!a || !b || (strcmp(a, b) != 0 && jlp_get_type(want) != JLP_SCALAR)) status = EXIT_VERIFY;
        free(a);
        free(b);
    }
    if (status) fprintf(stderr, "%s: verify: the written file does not hold the same values\n", out);
    jlp_doc_free(back);
    return status;
}

int main(int argc, char **argv) {
    cli_budget budget = {0, 0, 0, false, false, false, false};
    jlp_write_opts wo = JLP_WRITE_OPTS_INIT;
    const char *in = NULL, *out = NULL;
    bool verify = false, json_in = false, npz = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return CLI_OK; }
        if (!strcmp(a, "--version")) { cli_version("jldump"); return CLI_OK; }
        if (!strcmp(a, "--verify")) { verify = true; continue; }
        if (!strcmp(a, "--no-fsync")) { wo.durable = 0; continue; }
        if (!strcmp(a, "--from-json")) { json_in = true; continue; }
        if (!strcmp(a, "--numpy-arrays")) { wo.arrays = JLP_ARRAYS_NUMPY; continue; }
        if (!strcmp(a, "--npz")) { npz = true; continue; }
        if (!strcmp(a, "-c") || !strcmp(a, "--codec")) {
            if (i + 1 >= argc || parse_codec(argv[++i], &wo)) {
                fprintf(stderr, "jldump: %s needs NAME or NAME:LEVEL\n", a);
                return CLI_USAGE;
            }
            continue;
        }
        if (!strcmp(a, "-p") || !strcmp(a, "--protocol") || !strcmp(a, "--threads")) {
            uint64_t v;
            if (i + 1 >= argc || cli_parse_u64(argv[++i], &v) || v > 64) {
                fprintf(stderr, "jldump: %s needs a number\n", a);
                return CLI_USAGE;
            }
            if (a[1] == 'p' || a[2] == 'p') wo.protocol = (int)v;
            else wo.threads = (int)v;
            continue;
        }
        int k = cli_budget_option("jldump", argc, argv, &i, &budget);
        if (k < 0) return CLI_USAGE;
        if (k) continue;
        if (a[0] == '-' && a[1]) {
            fprintf(stderr, "jldump: unknown option '%s'\n", a);
            usage(stderr);
            return CLI_USAGE;
        }
        if (!in) in = a;
        else if (!out) out = a;
        else { fprintf(stderr, "jldump: more than two files given\n"); return CLI_USAGE; }
    }
    if (!in || !out) { usage(stderr); return CLI_USAGE; }
    if (wo.protocol > 5) { fprintf(stderr, "jldump: protocol must be 0 to 5\n"); return CLI_USAGE; }

    jlp_error err;
    jlp_doc *doc;
    jlp_limits lim;
    cli_limits(in, 0, &budget, &lim);
    jlp_read_opts ro = JLP_READ_OPTS_INIT;
    ro.limits = &lim;
    if (json_in) {
        doc = load_json(in);
        if (!doc) return CLI_BAD_INPUT;
    } else if (!strcmp(in, "-")) {
        doc = jlp_load_fd(STDIN_FILENO, &ro, &err);
    } else {
        doc = jlp_load_path(in, &ro, &err);
    }
    if (!doc) {
        cli_report(in, &err);
        return CLI_BAD_INPUT;
    }
    if (npz || ends_with(out, ".npz")) {
        int status = write_npz(doc, out, wo.codec, verify);
        jlp_doc_free(doc);
        return status;
    }
    bool show = isatty(STDERR_FILENO) && input_size(in, doc) > PROGRESS_MIN;
    jlp_code c = show ? dump_progress(jlp_doc_root(doc), out, wo, &err)
               : !strcmp(out, "-") ? jlp_dump_fd(jlp_doc_root(doc), STDOUT_FILENO, &wo, &err)
                                   : jlp_dump_path(jlp_doc_root(doc), out, &wo, &err);
    if (c) {
        cli_report(out, &err);
        jlp_doc_free(doc);
        return CLI_BAD_INPUT;
    }
    int status = CLI_OK;
    if (verify && strcmp(out, "-") != 0) {
        jlp_doc *back = jlp_load_path(out, NULL, &err);
        if (!back) {
            cli_report(out, &err);
            status = EXIT_VERIFY;
        } else {
            char *a = export(jlp_doc_root(doc)), *b = export(jlp_doc_root(back));
            if (!a || !b || strcmp(a, b) != 0) {
                fprintf(stderr, "%s: verify: the written file does not hold the same values\n", out);
                status = EXIT_VERIFY;
            }
            free(a);
            free(b);
            jlp_doc_free(back);
        }
    }
    jlp_doc_free(doc);
    return status;
}
