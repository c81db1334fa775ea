/*
 * c_roundtrip.c - load files with the C loader and write them again with the writer.
 *
 *   c_roundtrip copy IN OUT
 *       load IN and write OUT with IN's container (codec), protocol and array layout
 *       (joblib wrappers when IN had them, else numpy's own reduce).
 *
 *   c_roundtrip json LIST
 *       LIST has one line per file: "PATH<TAB>PROTOCOL<TAB>BYTES" (BYTES 1: the
 *       uncompressed dump at PROTOCOL must equal the file byte for byte). For each:
 *       load -> dump (at PROTOCOL, and at protocol 4; uncompressed, the array layout
 *       the file had) -> load must give the same JSON export (max_items 0).
 *       Prints "ok - ..." / "FAIL - ..." lines.
 */
#include "jlpickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap) buf = realloc(buf, cap *= 2);
        size_t k = fread(buf + n, 1, cap - n, f);
        if (!k) break;
        n += k;
    }
    fclose(f);
    *len = n;
    return buf;
}

static jlp_array_format layout_of(const jlp_doc *d) {
    return jlp_doc_generation(d) ? JLP_ARRAYS_JOBLIB : JLP_ARRAYS_NUMPY;
}

static int copy(const char *in, const char *out) {
    jlp_error err;
    jlp_doc *d = jlp_load_path(in, NULL, &err);
    if (!d) {
        fprintf(stderr, "c_roundtrip: %s: %s (%s)\n", in, err.msg, jlp_error_name(err.code));
        return 1;
    }
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    o.protocol = jlp_doc_protocol(d) >= 2 ? jlp_doc_protocol(d) : 2;
    o.codec = jlp_doc_container(d);
    o.arrays = layout_of(d);
    jlp_code c = jlp_dump_path(jlp_doc_root(d), out, &o, &err);
    if (c) fprintf(stderr, "c_roundtrip: %s: %s (%s)\n", out, err.msg, jlp_error_name(err.code));
    jlp_doc_free(d);
    return c ? 1 : 0;
}

static int passed, failed;

static void report(int ok, const char *what, const char *path, const char *detail) {
    if (ok) {
        passed++;
        printf("ok - %s %s\n", what, path);
    } else {
        failed++;
        printf("FAIL - %s %s: %s\n", what, path, detail);
    }
}

/* Dump root with (proto, layout), load the result, compare its export with want. */
static void json_round(const jlp_val *root, const char *want, int proto, jlp_array_format layout, const char *what,
                       const char *path) {
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.max_items = 0;
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    o.protocol = proto;
    o.arrays = layout;
    o.codec = "none";
    jlp_error err;
    char detail[600];
    void *buf = NULL;
    size_t len = 0;
    if (jlp_dump_mem(root, &o, &buf, &len, &err) != JLP_OK) {
        snprintf(detail, sizeof detail, "dump: %s: %s", jlp_error_name(err.code), err.msg);
        report(0, what, path, detail);
        return;
    }
    jlp_doc *d = jlp_load_mem(buf, len, NULL, NULL, &err);
    char *got = d ? jlp_export_json_str(jlp_doc_root(d), &jo, NULL, &err) : NULL;
    if (!got) {
        snprintf(detail, sizeof detail, "reload: %s: %s", jlp_error_name(err.code), err.msg);
        report(0, what, path, detail);
    } else {
        size_t i = 0;
        while (got[i] && got[i] == want[i]) i++;
        size_t from = i > 60 ? i - 60 : 0;
        snprintf(detail, sizeof detail, "exports differ at byte %zu:\n    want ...%.150s\n    got  ...%.150s", i,
                 want + from, got + from);
        report(strcmp(got, want) == 0, what, path, detail);
    }
    free(got);
    jlp_doc_free(d);
    free(buf);
}

static void json_check(const char *path, int proto, int bytes) {
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.max_items = 0;
    jlp_error err;
    char detail[600], what[64];
    jlp_doc *d = jlp_load_path(path, NULL, &err);
    char *want = d ? jlp_export_json_str(jlp_doc_root(d), &jo, NULL, &err) : NULL;
    if (!want) {
        snprintf(detail, sizeof detail, "load: %s: %s", jlp_error_name(err.code), err.msg);
        report(0, "json-load", path, detail);
        jlp_doc_free(d);
        return;
    }
    jlp_array_format layout = layout_of(d);
    snprintf(what, sizeof what, "json-p%d", proto);
    json_round(jlp_doc_root(d), want, proto, layout, what, path);
    if (proto != 4) json_round(jlp_doc_root(d), want, 4, layout, "json-p4", path);
    if (bytes) {
        size_t flen = 0, len = 0;
        char *file = slurp(path, &flen);
        void *buf = NULL;
        jlp_write_opts o = JLP_WRITE_OPTS_INIT;
        o.protocol = proto;
        o.arrays = layout;
        o.codec = "none";
        jlp_code c = jlp_dump_mem(jlp_doc_root(d), &o, &buf, &len, &err);
        size_t i = 0;
        if (!c && file)
            while (i < len && i < flen && ((char *)buf)[i] == file[i]) i++;
        if (c) snprintf(detail, sizeof detail, "dump: %s", err.msg);
        else snprintf(detail, sizeof detail, "%zu bytes written, file has %zu; first difference at byte %zu", len, flen, i);
        report(!c && file && len == flen && i == len, "bytes", path, detail);
        free(buf);
        free(file);
    }
    free(want);
    jlp_doc_free(d);
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "copy")) return copy(argv[2], argv[3]);
    if (argc == 3 && !strcmp(argv[1], "json")) {
        FILE *f = fopen(argv[2], "r");
        if (!f) {
            perror(argv[2]);
            return 2;
        }
        char line[4200], path[4096];
        int proto, bytes;
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "%4095[^\t]\t%d\t%d", path, &proto, &bytes) == 3) json_check(path, proto, bytes);
        }
        fclose(f);
        printf("%d passed, %d failed\n", passed, failed);
        return failed ? 1 : 0;
    }
    fprintf(stderr, "usage: %s copy IN OUT | json LIST\n", argv[0]);
    return 2;
}
