/*
 * jlload - load a pickle or joblib file and export it.
 *
 *   jlload [--json] [--max-items N] [--all] [--mmap] [--stats] [--get POINTER]
 *          [--extract DIR] FILE
 *
 * Exit status: 0 success, 1 the input could not be loaded (message on stderr as
 * "FILE: error at byte N: CODE: message"), a --get pointer did not resolve or --extract
 * could not write, 2 usage error.
 */
#include "cli.h"
#include "json_in.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void usage(FILE *out) {
    fputs("usage: jlload [--json] [--max-items N] [--all] [--mmap] [--stats]\n"
          "              [--get POINTER] [--extract DIR] FILE\n"
          "Load FILE (a pickle, a joblib file or a .npy file; - for standard input)\n"
          "without executing anything and print it as JSON (spec/JSON.md) on standard\n"
          "output.\n"
          "  --json         print the JSON export (the default)\n"
          "  --max-items N  arrays with more than N elements print nbytes and sha256\n"
          "                 instead of data (default 1000, 0 = all)\n"
          "  --all          FILE holds several pickles one after another: print each\n"
          "  --mmap         map an uncompressed FILE read-only; arrays are not copied\n"
          "  --get POINTER  print only the value at this RFC 6901 JSON pointer of the\n"
          "                 export (/key, /0, /$tuple/1, /$object/state/coef_); an\n"
          "                 object's attribute and a tuple's item also as /coef_, /1\n"
          "  --stats        print load time, decoded bytes, opcodes, arrays, document\n"
          "                 memory, container and generation on standard error\n"
          "  --extract DIR  write every array as DIR/<n>.npy and the export, arrays\n"
          "                 replaced by {\"$npy\":\"<n>.npy\"}, as DIR/value.json\n"
          CLI_BUDGET_USAGE
          "  --help, --version\n"
          "Exit status: 0 success, 1 the input could not be loaded, a pointer did not\n"
          "resolve or DIR could not be written, 2 usage error.\n",
          out);
}

/* ---- --get: the library resolves the pointer through the values (jlp_at_prefix); what
 * is left addresses the JSON text of the value reached (dtype, shape, numeric data) ---- */

static int print_get(jlp_doc *doc, const char *ptr, const jlp_json_opts *jopts) {
    jlp_error err;
    const char *rest;
    jlp_val *v = jlp_at_prefix(jlp_doc_root(doc), ptr, &rest, &err);
    if (!v) {
        fprintf(stderr, "jlload: --get '%s': %s\n", ptr, err.msg);
        return CLI_BAD_INPUT;
    }
    if (!*rest) {
        if (jlp_export_json_file(v, jopts, stdout, &err) != JLP_OK) {
            cli_report("<stdout>", &err);
            return CLI_BAD_INPUT;
        }
        return CLI_OK;
    }
    jv_token *toks;
    long n = jv_pointer_split(rest, strlen(rest), &toks);
    size_t len;
    char *text = n >= 0 ? jlp_export_json_str(v, jopts, &len, &err) : NULL;
    char msg[200];
    jv *root = text ? jv_parse(text, len, msg, sizeof msg) : NULL;
    jv *hit = root ? jv_follow(text, root, toks, n) : NULL;
    int status = CLI_OK;
    if (hit) {
        fwrite(text + hit->start, 1, hit->end - hit->start, stdout);
        fputc('\n', stdout);
    } else {
        /* say what the values resolved and where the JSON stopped following */
        jlp_at(jlp_doc_root(doc), ptr, &err);
        fprintf(stderr, "jlload: --get '%s': no such value (%s)\n", ptr, err.msg);
        status = CLI_BAD_INPUT;
    }
    jv_free(root);
    free(text);
    if (n >= 0) jv_tokens_free(toks, n);
    return status;
}

/* ---- --extract ---------------------------------------------------------------------- */

typedef struct range { size_t start, end; unsigned long n; } range;

/* numpy has no bfloat16 (PyTorch's): such an array is written as the float32 array it
 * converts to exactly. */
static jlp_code write_bfloat16(jlp_val *arr, const char *path, jlp_error *err) {
    jlp_view v = JLP_VIEW_INIT;
    jlp_code c = jlp_array_as(arr, JLP_F32, 0, &v, err);
    if (c) return c;
    jlp_doc *tmp = jlp_doc_new(NULL);
    jlp_val *dt = tmp ? jlp_new_dtype(tmp, "f4", err) : NULL;
    jlp_val *f32 = dt ? jlp_new_array(tmp, dt, v.ndim, v.shape, 'C', v.data, (size_t)v.count * 4, JLP_BORROW, err) : NULL;
    c = f32 ? jlp_dump_npy_path(f32, path, err) : err->code ? err->code : JLP_E_NOMEM;
    jlp_doc_free(tmp);
    return c;
}

static int write_array(const char *dir, unsigned long n, jlp_val *arr) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%lu.npy", dir, n);
    jlp_error err;
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    bool bf16 = jlp_array_get(arr, &a) && !strcmp(jlp_dtype_str(a.dtype), "bfloat16");
    if ((bf16 ? write_bfloat16(arr, path, &err) : jlp_dump_npy_path(arr, path, &err)) == JLP_OK) return 0;
    fprintf(stderr, "jlload: --extract: array %lu: %s: %s\n", n, jlp_error_name(err.code), err.msg);
    return -1;
}

/* The JSON pointer of decoded tokens (~ and / escaped), malloc()ed; NULL when out of
 * memory. */
static char *pointer_of(const jv_token *toks, size_t n) {
    size_t cap = 1;
    for (size_t i = 0; i < n; i++) cap += 1 + 2 * toks[i].len;
    char *p = malloc(cap), *q = p;
    if (!p) return NULL;
    for (size_t i = 0; i < n; i++) {
        *q++ = '/';
        for (size_t j = 0; j < toks[i].len; j++) {
            char c = toks[i].s[j];
            if (c == '~' || c == '/') {
                *q++ = '~';
                *q++ = c == '~' ? '0' : '1';
            } else {
                *q++ = c;
            }
        }
    }
    *q = 0;
    return p;
}

static int extract(jlp_doc *doc, const char *dir, const jlp_json_opts *jopts) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "jlload: %s: %s\n", dir, strerror(errno));
        return CLI_BAD_INPUT;
    }
    jlp_error err;
    size_t len;
    char *text = jlp_export_json_str(jlp_doc_root(doc), jopts, &len, &err);
    if (!text) { cli_report("<export>", &err); return CLI_BAD_INPUT; }
    char msg[200];
    jv *root = jv_parse(text, len, msg, sizeof msg);
    if (!root) { fprintf(stderr, "jlload: export: %s\n", msg); free(text); return CLI_BAD_INPUT; }

    /* walk the export depth first with the path of every node */
    typedef struct ent { jv *node; size_t next; jv_token tok; } ent;
    size_t cap = 64, d = 0, nr = 0, rcap = 16;
    ent *stk = malloc(cap * sizeof *stk);
    range *rs = malloc(rcap * sizeof *rs);
    jv_token *path = malloc(cap * sizeof *path);
    unsigned long count = 0;
    int status = CLI_OK;
    if (!stk || !rs || !path) { status = CLI_BAD_INPUT; goto done; }
    stk[d++] = (ent){ root, 0, { NULL, 0 } };
    bool fresh = true;
    while (d && status == CLI_OK) {
        ent *e = &stk[d - 1];
        jv *x = e->node;
        if (fresh) {
            const char *tag;
            size_t tl;
            if (jv_tag(text, x, &tag, &tl) && tl == 8 && !memcmp(tag, "$ndarray", 8)) {
                for (size_t i = 1; i < d; i++) path[i - 1] = stk[i].tok;
                const char *rest = "?";
                char *ptr = pointer_of(path, d - 1);
                jlp_val *arr = ptr ? jlp_at_prefix(jlp_doc_root(doc), ptr, &rest, NULL) : NULL;
                long k = *rest ? -1 : (long)d - 1; /* rest points into ptr */
                free(ptr);
                jlp_array_info a = JLP_ARRAY_INFO_INIT;
                if (k == (long)d - 1 && jlp_array_get(arr, &a) && a.data) {
                    if (write_array(dir, count, arr)) { status = CLI_BAD_INPUT; break; }
                    if (nr == rcap) {
                        range *q = realloc(rs, (rcap *= 2) * sizeof *rs);
                        if (!q) { status = CLI_BAD_INPUT; break; }
                        rs = q;
                    }
                    rs[nr++] = (range){ x->start, x->end, count++ };
                    free(e->tok.s);
                    d--;
                    continue;
                }
                if (k == (long)d - 1 && jlp_array_get(arr, &a)) {
                    fputs("jlload: --extract: object array at '", stderr);
                    for (size_t i = 1; i < d; i++) fprintf(stderr, "/%.*s", (int)path[i - 1].len, path[i - 1].s);
                    fputs("' kept in value.json\n", stderr);
                }
            }
            fresh = false;
        }
        size_t nk = x->kind == JV_ARR ? x->n : x->kind == JV_OBJ ? x->n : 0;
        if (e->next >= nk) { free(e->tok.s); d--; continue; }
        size_t i = e->next++;
        ent child;
        child.next = 0;
        if (x->kind == JV_ARR) {
            child.node = &x->kids[i];
            char buf[24];
            int l = snprintf(buf, sizeof buf, "%zu", i);
            child.tok.s = strdup(buf);
            child.tok.len = (size_t)l;
        } else {
            child.node = &x->kids[2 * i + 1];
            child.tok.s = jv_str(text, &x->kids[2 * i], &child.tok.len);
        }
        if (!child.tok.s) { status = CLI_BAD_INPUT; break; }
        if (d == cap) {
            ent *q = realloc(stk, cap * 2 * sizeof *stk);
            jv_token *p = realloc(path, cap * 2 * sizeof *path);
            if (q) stk = q;
            if (p) path = p;
            if (!q || !p) { free(child.tok.s); status = CLI_BAD_INPUT; break; }
            cap *= 2;
        }
        stk[d++] = child;
        fresh = true;
    }
    while (d) free(stk[--d].tok.s);
    if (status == CLI_OK) {
        char p[4096];
        snprintf(p, sizeof p, "%s/value.json", dir);
        FILE *fp = fopen(p, "wb");
        if (!fp) { fprintf(stderr, "jlload: %s: %s\n", p, strerror(errno)); status = CLI_BAD_INPUT; goto done; }
        size_t at = 0;
        for (size_t i = 0; i < nr; i++) {
            fwrite(text + at, 1, rs[i].start - at, fp);
            fprintf(fp, "{\"$npy\":\"%lu.npy\"}", rs[i].n);
            at = rs[i].end;
        }
        fwrite(text + at, 1, len - at, fp);
        if (fclose(fp) != 0) { fprintf(stderr, "jlload: %s: %s\n", p, strerror(errno)); status = CLI_BAD_INPUT; }
    }
done:
    free(stk);
    free(path);
    free(rs);
    jv_free(root);
    free(text);
    return status;
}

/* ---- main --------------------------------------------------------------------------- */

/* Whether the file at `path` starts with the .npy magic (a file that cannot be read is
 * left to the loader to report). */
static bool is_npy_file(const char *path) {
    jlp_error err;
    jlp_source *src = jlp_source_path(path, NULL, &err);
    const void *head;
    long long have = src ? jlp_source_peek(src, 6, &head, &err) : -1;
    bool npy = have >= 0 && jlp_is_npy(head, (size_t)have);
    jlp_source_free(src);
    return npy;
}

typedef struct job {
    const char *get;
    const char *extract;
    bool stats;
    double t0;
} job;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_stats(const jlp_doc *doc, double secs) {
    const char *g = jlp_doc_generation(doc);
    fprintf(stderr,
            "load time: %.3f ms\n"
            "decoded bytes: %llu\n"
            "opcodes: %llu\n"
            "arrays: %llu\n"
            "document memory: %llu bytes\n"
            "container: %s\n"
            "generation: %s\n",
            secs * 1e3, (unsigned long long)jlp_doc_consumed(doc),
            (unsigned long long)jlp_doc_ops(doc), (unsigned long long)jlp_doc_array_count(doc),
            (unsigned long long)jlp_doc_alloc_bytes(doc), jlp_doc_container(doc),
            g ? g : "plain pickle");
}

static int print_doc(jlp_doc *doc, const jlp_json_opts *jopts, const job *jb) {
    if (jb->stats) print_stats(doc, now() - jb->t0);
    if (jb->extract) return extract(doc, jb->extract, jopts);
    if (jb->get) return print_get(doc, jb->get, jopts);
    jlp_error err;
    if (jlp_export_json_file(jlp_doc_root(doc), jopts, stdout, &err) != JLP_OK) {
        cli_report("<stdout>", &err);
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}

int main(int argc, char **argv) {
    const char *file = NULL;
    int all = 0;
    job jb = { NULL, NULL, false, 0 };
    cli_budget budget = {0, 0, 0, false, false, false, false};
    jlp_read_opts ropts = JLP_READ_OPTS_INIT;
    jlp_json_opts jopts = JLP_JSON_OPTS_INIT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return CLI_OK; }
        if (!strcmp(a, "--version")) { cli_version("jlload"); return CLI_OK; }
        if (!strcmp(a, "--json")) continue;
        if (!strcmp(a, "--all")) { all = 1; continue; }
        if (!strcmp(a, "--mmap")) { ropts.mmap = 1; continue; }
        if (!strcmp(a, "--stats")) { jb.stats = true; continue; }
        if (!strcmp(a, "--get") || !strcmp(a, "--extract")) {
            if (i + 1 >= argc || (a[2] == 'e' && !argv[i + 1][0])) {
                fprintf(stderr, "jlload: %s needs %s\n", a, a[2] == 'g' ? "a JSON pointer" : "a directory");
                return CLI_USAGE;
            }
            if (a[2] == 'g') jb.get = argv[++i];
            else jb.extract = argv[++i];
            continue;
        }
        if (!strcmp(a, "--max-items")) {
            if (i + 1 >= argc || cli_parse_u64(argv[++i], &jopts.max_items)) {
                fprintf(stderr, "jlload: --max-items needs a non-negative number\n");
                return CLI_USAGE;
            }
            continue;
        }
        int k = cli_budget_option("jlload", argc, argv, &i, &budget);
        if (k < 0) return CLI_USAGE;
        if (k) continue;
        if (a[0] == '-' && a[1]) {
            fprintf(stderr, "jlload: unknown option '%s'\n", a);
            usage(stderr);
            return CLI_USAGE;
        }
        if (file) { fprintf(stderr, "jlload: more than one FILE given\n"); return CLI_USAGE; }
        file = a;
    }
    if (!file) { usage(stderr); return CLI_USAGE; }
    if (jb.get && jb.extract) { fprintf(stderr, "jlload: --get and --extract exclude each other\n"); return CLI_USAGE; }
    if (all && jb.extract) { fprintf(stderr, "jlload: --all and --extract exclude each other\n"); return CLI_USAGE; }

    jlp_error err;
    int status = CLI_OK;
    jlp_limits lim;
    cli_limits(file, 0, &budget, &lim);
    ropts.limits = &lim;
    /* .npy files are loaded as such; their object arrays (a pickle) too, inertly */
    ropts.flags |= JLP_READ_NPY_PICKLE;
    /* A file is loaded by path (archives, ARCHIVE::MEMBER, mapping); --all and stdin
     * read one pickle after another from a stream. */
    if (strcmp(file, "-") != 0 && !all) {
        jb.t0 = now();
        jlp_doc *doc = is_npy_file(file) ? jlp_load_npy_path(file, &ropts, &err) : jlp_load_path(file, &ropts, &err);
        if (!doc) {
            cli_report(file, &err);
            return CLI_BAD_INPUT;
        }
        status = print_doc(doc, &jopts, &jb);
        jlp_doc_free(doc);
        if (fflush(stdout) != 0) status = CLI_BAD_INPUT;
        return status;
    }
    jb.t0 = now();
    /* jlload reads (its export prints the arrays, and its errors are the spec vectors'
     * reading of a file; a mapped load is --mmap) */
    jlp_source *src = cli_open(file, false, &err);
    if (!src) return CLI_BAD_INPUT;
    for (;;) {
        const void *head;
        long long have = jlp_source_peek(src, 6, &head, &err);
        jlp_doc *doc = have >= 0 && jlp_is_npy(head, (size_t)have) ? jlp_load_npy(src, &ropts, &err)
                                                                   : jlp_load(src, &ropts, &err);
        if (!doc) { cli_report(file, &err); status = CLI_BAD_INPUT; break; }
        /* a compressed container must end right after its pickle: check before
         * printing, so a damaged file prints nothing */
        if (!all && strcmp(jlp_doc_container(doc), "none") != 0 && strcmp(jlp_doc_container(doc), "npy") != 0 &&
            jlp_source_check_end(src, &err) != JLP_OK) {
            cli_report(file, &err);
            jlp_doc_free(doc);
            status = CLI_BAD_INPUT;
            break;
        }
        status = print_doc(doc, &jopts, &jb);
        jlp_doc_free(doc);
        if (status != CLI_OK || !all) break;
        int eof = jlp_source_at_eof(src, &err);
        if (eof < 0) { cli_report(file, &err); status = CLI_BAD_INPUT; }
        if (eof != 0) break;
        jb.t0 = now();
    }
    jlp_source_free(src);
    if (fflush(stdout) != 0) status = CLI_BAD_INPUT;
    return status;
}
