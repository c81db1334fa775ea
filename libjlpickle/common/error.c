/* error.c - the pinned error table and the helpers that fill jlp_error. */
#include "common.h"

#include <stdio.h>

const char *jlp_error_name(jlp_code code) {
    switch (code) {
#define JLP_X_NAME(name, value, text) case JLP_E_##name: return #name;
        JLP_ERROR_TABLE(JLP_X_NAME)
#undef JLP_X_NAME
    default: return "UNKNOWN";
    }
}

const char *jlp_strerror(jlp_code code) {
    switch (code) {
#define JLP_X_TEXT(name, value, text) case JLP_E_##name: return text;
        JLP_ERROR_TABLE(JLP_X_TEXT)
#undef JLP_X_TEXT
    default: return "unknown error code";
    }
}

void jlp__clear(jlp_error *err) {
    if (!err) return;
    err->code = JLP_OK;
    err->opcode = -1;
    err->offset = 0;
    err->input_offset = 0;
    err->msg[0] = '\0';
}

jlp_code jlp__null_value(jlp_error *err) {
    /* a code outside the table is no earlier error (a struct the caller never set) */
    if (err && err->code > JLP_OK && err->code < JLP_E__COUNT) {
        err->msg[sizeof err->msg - 1] = '\0';
        return err->code;
    }
    return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL value");
}

const char *jlp__an(const char *word) {
    if (!word) return "a";
    switch (word[0]) {
    case 'a': case 'e': case 'i': case 'o': case 'A': case 'E': case 'I': case 'O': return "an";
    case 'n': return word[1] == 'd' ? "an" : "a"; /* ndarray: "en-dee" */
    default: return "a"; /* uint64 ("you-") and dtype strings ("<f8") */
    }
}

jlp_code jlp__fail(jlp_error *err, jlp_code code, uint64_t offset, int opcode,
                   const char *fmt, ...) {
    if (!err) return code;
    err->code = code;
    err->opcode = opcode;
    err->offset = offset;
    err->input_offset = offset;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    } else {
        snprintf(err->msg, sizeof err->msg, "%s", jlp_strerror(code));
    }
    return code;
}

const char *jlp__path_tail(const char *path) {
    size_t n = strlen(path);
    if (n <= 80) return path;
    const char *p = path + n - 80;
    while ((*p & 0xC0) == 0x80) p++; /* start on a whole UTF-8 character */
    return p;
}
