/* cli.c - shared command-line helpers. */
#include "cli.h"
#include "jlpickle_codec.h"
#include "jlpickle_scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cli_report(const char *file, const jlp_error *err) {
    /* offsets are of the decoded stream; a codec error also knows its compressed byte */
    if (err->input_offset != err->offset && err->input_offset != UINT64_MAX)
        fprintf(stderr, "%s: error at byte %llu: %s: %s (compressed input byte %llu)\n", file,
                (unsigned long long)err->offset, jlp_error_name(err->code), err->msg,
                (unsigned long long)err->input_offset);
    else
        fprintf(stderr, "%s: error at byte %llu: %s: %s\n", file,
                (unsigned long long)err->offset, jlp_error_name(err->code), err->msg);
}

jlp_source *cli_open(const char *file, bool mapped, jlp_error *err) {
    struct stat st;
    jlp_source *src = strcmp(file, "-") == 0 ? jlp_source_fd(STDIN_FILENO, NULL, err)
                      : mapped && stat(file, &st) == 0 && S_ISREG(st.st_mode) ? jlp_source_path_mapped(file, NULL, err)
                                                                               : jlp_source_path(file, NULL, err);
    if (!src) cli_report(file, err);
    return src;
}

void cli_version(const char *tool) {
    printf("%s (libjlpickle %s)\n", tool, jlp_version_string());
    /* the codec libraries this build links, or that a codec was left out */
    for (size_t i = 0; i < jlp_registry_count(NULL); i++) {
        const jlp_codec *c = jlp_registry_get(NULL, i);
        if (!strcmp(c->name, "zf")) continue; /* joblib's own container, zlib inside */
        printf("  %-5s %s\n", c->name, c->version ? c->version(c) : "not built in");
    }
}

int cli_parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s || *s == '-') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

int cli_budget_option(const char *tool, int argc, char **argv, int *i, cli_budget *b) {
    const char *a = argv[*i];
    uint64_t *dst;
    bool *set;
    if (!strcmp(a, "--trusted")) {
        b->trusted = true;
        return 1;
    }
    if (!strcmp(a, "--max-decoded")) { dst = &b->max_decoded; set = &b->decoded_set; }
    else if (!strcmp(a, "--max-ops")) { dst = &b->max_ops; set = &b->ops_set; }
    else if (!strcmp(a, "--max-ratio")) { dst = &b->max_ratio; set = &b->ratio_set; }
    else return 0;
    if (*i + 1 >= argc || cli_parse_u64(argv[*i + 1], dst)) {
        fprintf(stderr, "%s: %s needs a non-negative number\n", tool, a);
        return -1;
    }
    *set = true;
    (*i)++;
    return 1;
}

void cli_limits(const char *file, uint64_t size, const cli_budget *b, jlp_limits *out) {
    struct stat st;
    if (!size && strcmp(file, "-") != 0 && stat(file, &st) == 0 && S_ISREG(st.st_mode)) size = (uint64_t)st.st_size;
    if (b->trusted) jlp_limits_init(out);
    else jlp_limits_untrusted(out, size);
    if (b->decoded_set) {
        out->max_decoded = b->max_decoded;
        out->max_str = b->max_decoded ? b->max_decoded : ((uint64_t)1 << 31);
        out->max_alloc = b->max_decoded ? 2 * b->max_decoded : ((uint64_t)8 << 30);
    }
    if (b->ops_set) out->max_ops = b->max_ops;
    if (b->ratio_set) out->max_ratio = b->max_ratio;
}
