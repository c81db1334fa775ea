/*
 * elem.h - one numeric value of any numpy kind, read exactly from an item's bytes or
 * from a Python number, and written as a C element type with exactness checks. The
 * typed views (view.c) and the checked scalars (as.c) are built on it.
 */
#ifndef JLP_ELEM_H
#define JLP_ELEM_H

#include "numpy.h"

/** What a numeric value is, as read. */
typedef enum jlp__vkind {
    JLP__V_BOOL,
    JLP__V_INT,     /* i: int64 (numpy ints, datetime64/timedelta64 counts, Python ints) */
    JLP__V_UINT,    /* u: uint64 beyond int64 (numpy unsigned, Python ints up to 2^64-1) */
    JLP__V_FLOAT,   /* f: double; `inexact` when the source had bits a double cannot hold */
    JLP__V_COMPLEX  /* f, g: the parts */
} jlp__vkind;

typedef struct jlp__num {
    jlp__vkind kind;
    bool inexact;   /* the double(s) rounded a longdouble item */
    bool datetime;  /* an int from datetime64/timedelta64 */
    int64_t i;
    uint64_t u;
    double f, g;
    /* a longdouble item's parts (real, imaginary) in byte order ext_bo, or NULL: what a
       float or an int target converts from when the double f, g rounded the item */
    const uint8_t *ext, *ext_g;
    char ext_bo;
    uint8_t ext_size; /* bytes of each part's item (12 or 16) */
} jlp__num;

/** Whether items of dtype `d` are numbers this reads (b i u f c M m of the sizes numpy
 *  has), and the kind of value they give. */
bool jlp__num_dtype(const jlp__dtype_info *d);
/** Read the item at `p` of a dtype jlp__num_dtype accepts. */
void jlp__num_read(const jlp__dtype_info *d, const uint8_t *p, jlp__num *out);
/** Read a Python value: bool, int, a big int that fits 64 bits unsigned, float,
 *  complex. @return JLP_OK, JLP_E_RANGE (a big int beyond 64 bits: *out holds its sign in
 *  i, -1 or 1), JLP_E_BAD_TYPE. */
jlp_code jlp__num_python(const jlp_val *v, jlp__num *out);

/** Size in bytes of an element type, 0 for an unknown one. */
size_t jlp__elem_size(jlp_elem t);
/** Whether a value of this kind may become element type `t` at all (bool and ints to
 *  everything numeric; floats to floats, complex and, when integral, ints; complex to
 *  complex; datetime counts only to JLP_I64). */
bool jlp__num_fits_type(jlp__vkind k, bool datetime, jlp_elem t);
/** Write `v` as element type `t` at `dst` (aligned). @return true when the value is
 *  represented exactly (or, with `round`, a float target rounded it to nearest), false
 *  when it is out of range or would lose bits (nothing written). */
bool jlp__num_write(const jlp__num *v, jlp_elem t, bool round, void *dst);

#endif /* JLP_ELEM_H */
