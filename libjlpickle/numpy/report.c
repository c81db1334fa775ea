/* report.c - how numpy code reports errors: at the position its context names. */
#include "numpy.h"

#include <stdarg.h>
#include <stdio.h>

jlp_code jlp__np_fail(const jlp__np *m, jlp_code code, const char *fmt, ...) {
    jlp_error *err = m->err;
    if (!err) return code;
    err->code = code;
    err->opcode = m->op;
    err->offset = m->op_off;
    /* inside a compressed container the input byte of a decoded byte is not known */
    err->input_offset = m->layered ? UINT64_MAX : m->op_off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

jlp_code jlp__np_nomem(const jlp__np *m) {
    if (m->doc && jlp__doc_limit_hit(m->doc))
        return jlp__np_fail(m, JLP_E_LIMIT, "document allocation exceeds limits.max_alloc (%llu)",
                            (unsigned long long)m->lim->max_alloc);
    return jlp__np_fail(m, JLP_E_NOMEM, "out of memory");
}
