/*
 * diffrun.c - the C side of the differential test (tests/diff/diff.py): what `jlload FILE`
 * and `jldump [-c CODEC] [-p P] [--numpy-arrays] IN OUT` do, for many files in one
 * process. Commands come on standard input, one per line, fields separated by tabs:
 *
 *   L <in> <out>                          load <in> as jlload does (a source over the
 *                                         file, the end of a compressed container
 *                                         checked) and write the JSON export to <out>
 *   D <in> <out> <codec> <proto> <arrays> load <in> as jldump does (jlp_load_path) and
 *                                         dump it to <out>; codec NAME[:LEVEL], arrays
 *                                         joblib or numpy
 *   B <seed> <out> <codec> <proto> <arrays> build the random document of <seed>
 *                                         (randdoc.c), write its JSON export to
 *                                         <out>.built.json and dump it to <out>
 *   R <hex> ...                           jlp_float_repr of each double, given by its
 *                                         64 bits in hex (float_repr_check.py)
 *
 * For each command one line goes to standard output: "OK", or "ERR <CODE> <offset>" with
 * the error's name and decoded offset (what the tools print as "error at byte N: CODE");
 * for R, the reprs separated by spaces.
 */
#include "jlpickle.h"
#include "randdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void report(const jlp_error *err) {
    printf("ERR %s %llu\n", jlp_error_name(err->code), (unsigned long long)err->offset);
}

/* jlload FILE: a source over the file; a compressed container must end after its pickle. */
static void cmd_load(const char *in, const char *out) {
    jlp_error err;
    jlp_source *src = jlp_source_path(in, NULL, &err);
    if (!src) { report(&err); return; }
    jlp_read_opts ro = JLP_READ_OPTS_INIT;
    jlp_doc *doc = jlp_load(src, &ro, &err);
    if (doc && strcmp(jlp_doc_container(doc), "none") != 0 && jlp_source_check_end(src, &err) != JLP_OK) {
        jlp_doc_free(doc);
        doc = NULL;
    }
    jlp_source_free(src);
    if (!doc) { report(&err); return; }
    FILE *f = fopen(out, "wb");
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jlp_code c = f ? jlp_export_json_file(jlp_doc_root(doc), &jo, f, &err) : JLP_E_IO;
    if (f && fclose(f) != 0 && c == JLP_OK) c = JLP_E_IO;
    jlp_doc_free(doc);
    if (c == JLP_OK) puts("OK");
    else if (!f) puts("ERR IO 0");
    else report(&err);
}

/* Dump root to out as jldump -c CODEC -p P [--numpy-arrays] does. */
static void dump(const jlp_val *root, const char *out, const char *codec, int proto, const char *arrays) {
    jlp_error err;
    jlp_write_opts wo = JLP_WRITE_OPTS_INIT;
    wo.protocol = proto;
    char name[32];
    const char *colon = strchr(codec, ':'); /* NAME[:LEVEL], as jldump -c takes it */
    size_t n = colon ? (size_t)(colon - codec) : strlen(codec);
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, codec, n);
    name[n] = 0;
    wo.codec = name;
    if (colon) wo.level = atoi(colon + 1);
    wo.arrays = !strcmp(arrays, "numpy") ? JLP_ARRAYS_NUMPY : JLP_ARRAYS_JOBLIB;
    if (jlp_dump_path(root, out, &wo, &err) == JLP_OK) puts("OK");
    else report(&err);
}

/* jldump -c CODEC -p P [--numpy-arrays] IN OUT */
static void cmd_dump(const char *in, const char *out, const char *codec, int proto, const char *arrays) {
    jlp_error err;
    jlp_doc *doc = jlp_load_path(in, NULL, &err);
    if (!doc) { report(&err); return; }
    dump(jlp_doc_root(doc), out, codec, proto, arrays);
    jlp_doc_free(doc);
}

/* A random document built with the builder API: its export, then the dump. */
static void cmd_build(const char *seed, const char *out, const char *codec, int proto, const char *arrays) {
    jlp_doc *doc;
    const char *why;
    jlp_val *root = randdoc_make(strtoull(seed, NULL, 10), !strcmp(arrays, "joblib"), &doc, &why);
    if (!root) {
        printf("ERR BUILD 0 %s\n", why);
        jlp_doc_free(doc);
        return;
    }
    char path[8192];
    snprintf(path, sizeof path, "%s.built.json", out);
    FILE *f = fopen(path, "wb");
    jlp_error err;
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jlp_code c = f ? jlp_export_json_file(root, &jo, f, &err) : JLP_E_IO;
    if (f && fclose(f) != 0 && c == JLP_OK) c = JLP_E_IO;
    if (c != JLP_OK) {
        if (!f) puts("ERR IO 0");
        else report(&err);
    } else {
        dump(root, out, codec, proto, arrays);
    }
    jlp_doc_free(doc);
}

/* jlp_float_repr of each double of a space-separated list of 64-bit patterns in hex. */
static void cmd_repr(char *list) {
    const char *sep = "";
    for (char *p = strtok(list, " "); p; p = strtok(NULL, " ")) {
        uint64_t bits = strtoull(p, NULL, 16);
        double d;
        memcpy(&d, &bits, sizeof d);
        char r[JLP_FLOAT_REPR_MAX];
        jlp_float_repr(d, r, sizeof r);
        printf("%s%s", sep, r);
        sep = " ";
    }
    printf("\n");
}

int main(void) {
    char line[8192];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = 0;
        char *f[6] = {0};
        int k = 0;
        for (char *p = line; p && k < 6; k++) {
            f[k] = p;
            p = strchr(p, '\t');
            if (p) *p++ = 0;
        }
        if (k == 3 && !strcmp(f[0], "L")) cmd_load(f[1], f[2]);
        else if (k == 6 && !strcmp(f[0], "D")) cmd_dump(f[1], f[2], f[3], atoi(f[4]), f[5]);
        else if (k == 2 && !strcmp(f[0], "R")) cmd_repr(f[1]);
        else if (k == 6 && !strcmp(f[0], "B")) cmd_build(f[1], f[2], f[3], atoi(f[4]), f[5]);
        else { printf("BAD COMMAND\n"); }
        fflush(stdout);
    }
    return 0;
}
