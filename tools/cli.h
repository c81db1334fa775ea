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

#endif
