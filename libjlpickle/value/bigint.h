/*
 * bigint.h - arbitrary-size integers as Python pickles them: two's complement,
 * little-endian bytes (the LONG1/LONG4 encoding). Conversions to and from decimal text
 * are quadratic, so callers bound the digit count first (limits.max_bigint_digits on
 * input, 4300 digits on output, as Python does).
 */
#ifndef JLP_BIGINT_H
#define JLP_BIGINT_H

#include "../common/common.h"

/** @return the minimal length of the two's complement number b[0..n) (trailing sign
 *  extension bytes removed). */
size_t jlp__bigint_minlen(const uint8_t *b, size_t n);
/** If b[0..n) fits in int64, store it in *out and @return true. */
bool jlp__bigint_to_i64(const uint8_t *b, size_t n, int64_t *out);
/** Parse `ndigits` ASCII decimal digits (no sign) into two's complement bytes (negated
 *  when `neg`). `out` must hold ndigits/2 + 8 bytes. @return the minimal length. */
size_t jlp__bigint_from_decimal(const char *digits, size_t ndigits, bool neg, uint8_t *out,
                                const jlp_alc *alc, bool *nomem);
/** Parse `ndigits` digits of a base 2^bits (bits 1, 3 or 4: binary, octal, hex; no
 *  sign) into two's complement bytes (negated when `neg`). `out` must hold
 *  ndigits * bits / 8 + 2 bytes. @return the minimal length. */
size_t jlp__bigint_from_pow2(const char *digits, size_t ndigits, unsigned bits, bool neg, uint8_t *out);
/** Append the decimal text of b[0..n) to `buf` when it has at most `max_digits` digits.
 *  @return false (appending nothing) when it has more. */
bool jlp__bigint_decimal(const uint8_t *b, size_t n, size_t max_digits, jlp__buf *buf);
/** Append Python's hex() text of b[0..n) ("0x1f", "-0x1f") to `buf`. */
void jlp__bigint_hex(const uint8_t *b, size_t n, jlp__buf *buf);

#endif
