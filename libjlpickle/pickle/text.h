/*
 * text.h - decoders for the arguments of protocol 0 text opcodes (INT, LONG, FLOAT,
 * STRING, UNICODE). They follow what Python 3's unpickler accepts, listed per function;
 * differences are noted where Python's own C and pure-Python unpicklers disagree.
 */
#ifndef JLP_TEXT_H
#define JLP_TEXT_H

#include "../common/common.h"

/** Decimal integer text: optional surrounding ASCII whitespace, optional sign, digits.
 *  (Python also takes 0x/0o/0b prefixes and '_' separators; pickles never contain them,
 *  and libjlpickle rejects them.) */
typedef struct jlp__dec {
    bool neg;
    const char *digits;  /* points into the input; leading zeros stripped */
    size_t ndigits;      /* 0 for the value zero */
} jlp__dec;

/** @return true when s[0..n) is decimal integer text. */
bool jlp__parse_decimal(const uint8_t *s, size_t n, jlp__dec *out);

/** Python float() text: whitespace, sign, digits with '.', exponent, "inf", "infinity",
 *  "nan" (any case). Hex floats and '_' separators are rejected.
 *  @return true and *out on success. */
bool jlp__parse_float(const uint8_t *s, size_t n, double *out);

/** The STRING opcode argument: a quoted Python 2 repr ('...' or "..."), decoded as
 *  Python's codecs.escape_decode does. `out` must hold n bytes.
 *  @return true, or false with *why set. */
bool jlp__unescape_string(const uint8_t *s, size_t n, uint8_t *out, size_t *out_len,
                          const char **why);

/** The UNICODE opcode argument in Python's raw-unicode-escape: bytes are Latin-1 code
 *  points, except \uXXXX and \UXXXXXXXX escapes. Output is UTF-8 (surrogates encoded as
 *  three bytes). `out` must hold 2n bytes. @return true, or false with *why set. */
bool jlp__raw_unicode_escape(const uint8_t *s, size_t n, uint8_t *out, size_t *out_len,
                             const char **why);

#endif
