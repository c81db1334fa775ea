/*
 * item.h - reading the bytes of numpy items: unsigned integers of any width and byte
 * order, and the float formats numpy stores that C has no portable type for (IEEE half
 * precision, x87 80-bit extended as numpy's longdouble on x86). Shared by the JSON
 * export and the typed views.
 */
#ifndef JLP_ITEM_H
#define JLP_ITEM_H

#include "common.h"

/** Whether the host is little-endian. */
static inline bool jlp__host_little(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/** An unsigned integer of `size` (<= 8) bytes in byte order `bo` ('<', '>', or '|':
 *  host order). */
uint64_t jlp__load_uint(const uint8_t *p, uint64_t size, char bo);
/** IEEE binary16 to double (always exact). */
double jlp__half_to_double(uint16_t h);
/** x87 80-bit extended (in a `size` = 16-byte item, or 12 on 32-bit x86) to double, rounded to
 *  nearest even as numpy's float() does; *exact (may be NULL) says whether no bit was
 *  lost (NaN converts exactly). */
double jlp__ext80_to_double(const uint8_t *p, uint64_t size, char bo, bool *exact);
/** The same item rounded once to nearest float (a double's rounding first could round
 *  twice); *exact false when bits are lost or it overflows to an infinity. */
float jlp__ext80_to_float(const uint8_t *p, uint64_t size, char bo, bool *exact);
/** @return true when the 80-bit item at `p` is an integer of magnitude below 2^64: its
 *  sign in *neg and magnitude in *mag (beyond a double's 53 bits it is still exact). */
bool jlp__ext80_integer(const uint8_t *p, uint64_t size, char bo, bool *neg, uint64_t *mag);
/** A float item of `size` bytes (2, 4, 8, or 12/16 for x87 extended) as a double;
 *  *exact (may be NULL) as jlp__ext80_to_double (always 1 for the other sizes). */
double jlp__load_float(const uint8_t *p, uint64_t size, char bo, bool *exact);

#endif /* JLP_ITEM_H */
