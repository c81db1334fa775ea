/*
 * jlload - load a pickle or joblib file and export it.
 *
 *   jlload --json [--max-items N] [--all] [--mmap] FILE
 *
 * Exit status: 0 success, 1 the input could not be loaded (message on stderr as
 * "FILE: error at byte N: CODE: message"), 2 usage error.
 */
#include "cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
    fputs("usage: jlload --json [--max-items N] [--all] [--mmap] FILE\n"
          "Load FILE (a pickle or joblib file; - for standard input) without executing\n"
          "anything and print it as JSON (spec/JSON.md) on standard output.\n"
          "  --json         print the JSON export (the default)\n"
          "  --max-items N  arrays with more than N elements print nbytes and sha256\n"
          "                 instead of data (default 1000, 0 = all)\n"
          "  --all          FILE holds several pickles one after another: print each\n"
          "  --mmap         map an uncompressed FILE read-only; arrays are not copied\n"
          "  --help, --version\n"
          "Exit status: 0 success, 1 the input could not be loaded, 2 usage error.\n",
          out);
}

static int print_doc(jlp_doc *doc, const jlp_json_opts *jopts) {
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
    jlp_read_opts ropts = JLP_READ_OPTS_INIT;
    jlp_json_opts jopts = JLP_JSON_OPTS_INIT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return CLI_OK; }
        if (!strcmp(a, "--version")) { cli_version("jlload"); return CLI_OK; }
        if (!strcmp(a, "--json")) continue;
        if (!strcmp(a, "--all")) { all = 1; continue; }
        if (!strcmp(a, "--mmap")) { ropts.mmap = 1; continue; }
        if (!strcmp(a, "--max-items")) {
            if (i + 1 >= argc || cli_parse_u64(argv[++i], &jopts.max_items)) {
                fprintf(stderr, "jlload: --max-items needs a non-negative number\n");
                return CLI_USAGE;
            }
            continue;
        }
        if (a[0] == '-' && a[1]) {
            fprintf(stderr, "jlload: unknown option '%s'\n", a);
            usage(stderr);
            return CLI_USAGE;
        }
        if (file) { fprintf(stderr, "jlload: more than one FILE given\n"); return CLI_USAGE; }
        file = a;
    }
    if (!file) { usage(stderr); return CLI_USAGE; }

    jlp_error err;
    int status = CLI_OK;
    if (ropts.mmap && strcmp(file, "-") != 0 && !all) {
        jlp_doc *doc = jlp_load_path(file, &ropts, &err);
        if (!doc) {
            cli_report(file, &err);
            return CLI_BAD_INPUT;
        }
        status = print_doc(doc, &jopts);
        jlp_doc_free(doc);
        if (fflush(stdout) != 0) status = CLI_BAD_INPUT;
        return status;
    }
    jlp_source *src = cli_open(file, &err);
    if (!src) return CLI_BAD_INPUT;
    for (;;) {
        jlp_doc *doc = jlp_load(src, &ropts, &err);
        if (!doc) { cli_report(file, &err); status = CLI_BAD_INPUT; break; }
        /* a compressed container must end right after its pickle: check before
         * printing, so a damaged file prints nothing */
        if (!all && strcmp(jlp_doc_container(doc), "none") != 0 &&
            jlp_source_check_end(src, &err) != JLP_OK) {
            cli_report(file, &err);
            jlp_doc_free(doc);
            status = CLI_BAD_INPUT;
            break;
        }
        status = print_doc(doc, &jopts);
        jlp_doc_free(doc);
        if (status != CLI_OK || !all) break;
        int eof = jlp_source_at_eof(src, &err);
        if (eof < 0) { cli_report(file, &err); status = CLI_BAD_INPUT; }
        if (eof != 0) break;
    }
    jlp_source_free(src);
    if (fflush(stdout) != 0) status = CLI_BAD_INPUT;
    return status;
}
