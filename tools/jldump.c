/*
 * jldump - convert pickle and joblib files: recompress, change protocol, rewrite files
 * of older joblib generations in the current aligned layout so they memory-map.
 *
 *   jldump [-c CODEC[:LEVEL]] [-p PROTOCOL] [--numpy-arrays] [--threads N] [--verify] IN OUT
 *
 * IN and OUT may be "-" (standard input / output). Output to a path is atomic. Exit
 * status: 0 success, 1 the input could not be loaded or the output not written (message
 * "FILE: error at byte N: CODE: message"), 2 usage error, 4 --verify found a difference.
 */
#include "cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
          "      --verify              reload OUT and check it holds the same values\n"
          "      --help, --version\n"
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

static char *export(const jlp_val *v) {
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.max_items = 0; /* compare every element */
    jlp_error err;
    return jlp_export_json_str(v, &jo, NULL, &err);
}

int main(int argc, char **argv) {
    jlp_write_opts wo = JLP_WRITE_OPTS_INIT;
    const char *in = NULL, *out = NULL;
    bool verify = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return CLI_OK; }
        if (!strcmp(a, "--version")) { cli_version("jldump"); return CLI_OK; }
        if (!strcmp(a, "--verify")) { verify = true; continue; }
        if (!strcmp(a, "--numpy-arrays")) { wo.arrays = JLP_ARRAYS_NUMPY; continue; }
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
    if (!strcmp(in, "-")) {
        doc = jlp_load_fd(STDIN_FILENO, NULL, &err);
    } else {
        doc = jlp_load_path(in, NULL, &err);
    }
    if (!doc) {
        cli_report(in, &err);
        return CLI_BAD_INPUT;
    }
    jlp_code c = !strcmp(out, "-") ? jlp_dump_fd(jlp_doc_root(doc), STDOUT_FILENO, &wo, &err)
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
