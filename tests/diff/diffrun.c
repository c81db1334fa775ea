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
 *
 * For each command one line goes to standard output: "OK", or "ERR <CODE> <offset>" with
 * the error's name and decoded offset (what the tools print as "error at byte N: CODE").
 */
#include "jlpickle.h"

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

/* jldump -c CODEC -p P [--numpy-arrays] IN OUT */
static void cmd_dump(const char *in, const char *out, const char *codec, int proto, const char *arrays) {
    jlp_error err;
    jlp_doc *doc = jlp_load_path(in, NULL, &err);
    if (!doc) { report(&err); return; }
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
    jlp_code c = jlp_dump_path(jlp_doc_root(doc), out, &wo, &err);
    jlp_doc_free(doc);
    if (c == JLP_OK) puts("OK");
    else report(&err);
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
        else { printf("BAD COMMAND\n"); }
        fflush(stdout);
    }
    return 0;
}
