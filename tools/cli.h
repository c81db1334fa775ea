/*
 * cli.h - what jldump, jlload and jlinspect share: error reporting in one format,
 * opening FILE or "-", and the --version text.
 */
#ifndef JLP_CLI_H
#define JLP_CLI_H

#include "jlpickle.h"

#include <stdbool.h>

/* Exit statuses common to the tools. */
enum { CLI_OK = 0, CLI_BAD_INPUT = 1, CLI_USAGE = 2 };

/** Print "FILE: error at byte N: CODE: message" on stderr (N: the decoded-stream
 *  offset; for errors of a compressed container the compressed byte follows). */
void cli_report(const char *file, const jlp_error *err);
/** Open FILE ("-" is standard input) as a source; with `mapped`, a regular file through
 *  jlp_source_path_mapped (payloads lent, not read: the documents must be freed before
 *  the source). @return NULL after reporting. */
jlp_source *cli_open(const char *file, bool mapped, jlp_error *err);
/** Print "<tool> (libjlpickle X.Y.Z)" and the linked library versions on stdout. */
void cli_version(const char *tool);
/** Parse a non-negative decimal option value. @return 0 on success, -1 on error. */
int cli_parse_u64(const char *s, uint64_t *out);

/* Budgets: every tool reads its input with jlp_limits_untrusted() for the input's size
 * (spec/SAFETY.md S-26); --max-decoded, --max-ops and --max-ratio replace one of them
 * (0: no limit). */
typedef struct cli_budget {
    uint64_t max_decoded, max_ops, max_ratio;
    bool decoded_set, ops_set, ratio_set;
    bool trusted;             /* --trusted: the library's defaults (JLP_LIMITS_INIT) */
} cli_budget;

/** If argv[*i] is a budget option, take its value (argv[*i + 1], *i advanced).
 *  @return 1 taken, 0 not a budget option, -1 a bad value (reported on stderr). */
int cli_budget_option(const char *tool, int argc, char **argv, int *i, cli_budget *b);
/** The limits for reading `file` ("-": unknown size; `size` used when nonzero). */
void cli_limits(const char *file, uint64_t size, const cli_budget *b, jlp_limits *out);
/** The usage lines of the budget options. */
#define CLI_BUDGET_USAGE                                                                  \
    "  --trusted      the library's own limits, not the budgets for strangers' files\n" \
    "  --max-decoded N, --max-ops N, --max-ratio N\n"                                     \
    "                 raise a budget for untrusted input (0: none); by default a file\n" \
    "                 may decode to 256 MiB + 256 times its size, at most 256 times\n"   \
    "                 its size past 64 MiB, in 16 Mi + 32 opcodes per input byte\n"

#endif
