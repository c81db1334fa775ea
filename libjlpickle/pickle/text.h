/*
 * text.h - decoders for the arguments of protocol 0 text opcodes (INT, LONG, FLOAT,
 * STRING, UNICODE). They follow what Python 3's unpickler accepts, listed per function;
 * differences are noted where Python's own C and pure-Python unpicklers disagree.
 */
#ifndef JLP_TEXT_H
#define JLP_TEXT_H

#include "../common/common.h"

/* CPython has two unpicklers, and they read the text of INT, LONG, FLOAT, GET and PUT
 * differently (spec/FORMAT.md V-1, V-2, MM-1):
 *   pickle.py (joblib's, pickle._Unpickler): int(line, 0) for INT and LONG, int(line)
 *     for memo keys, float(line): surrounding ASCII whitespace, signs, 0x/0o/0b
 *     prefixes (base 0), single '_' between digits; "010" is refused; a NUL refuses.
 *   _pickle.c (pickle.load): INT is C strtol(line, 0) - "010" is octal 8, "+1" and
 *     "-0" of line length 3 are booleans, anything after a NUL is ignored - and falls
 *     back to Python's int(line, 0) when strtol stops early or overflows; LONG and memo
 *     keys are Python's int() up to the first NUL; FLOAT takes no whitespace or '_' and
 *     refuses overflow.
 * Each function below reads a line (s[0..n), without its '\n'; has_nl false for a last
 * line that ended with the input) as one of them does. */
typedef enum jlp__rules {
    JLP__PY_RULES = 0, /* pickle.py */
    JLP__C_RULES = 1   /* _pickle.c */
} jlp__rules;

/** An integer read from text: sign and the magnitude's digits in `base`, without
 *  underscores or leading zeros (ndigits 0: zero). */
typedef struct jlp__int_text {
    bool neg;
    unsigned base;       /* 2, 8, 10 or 16 */
    const char *digits;  /* into the caller's scratch */
    size_t ndigits;
} jlp__int_text;

/** The INT opcode. `scratch` holds at least n + 1 bytes.
 *  @return 1: an int in *out; 2: a bool (*is_true); 0: refused. */
int jlp__int_line(jlp__rules r, const uint8_t *s, size_t n, bool has_nl, char *scratch,
                  jlp__int_text *out, bool *is_true);
/** The LONG opcode (a trailing 'L' dropped). @return true with *out, false: refused. */
bool jlp__long_line(jlp__rules r, const uint8_t *s, size_t n, bool has_nl, char *scratch,
                    jlp__int_text *out);
/** The key of GET or PUT. @return true with the key's sign and digits (base 10), false:
 *  refused. _pickle.c also refuses a key that does not fit a C ssize_t (the caller
 *  checks). */
bool jlp__memo_line(jlp__rules r, const uint8_t *s, size_t n, bool has_nl, char *scratch,
                    jlp__int_text *out);
/** The FLOAT opcode. @return true with *out, false: refused. */
bool jlp__float_line(jlp__rules r, const uint8_t *s, size_t n, bool has_nl, char *scratch,
                     double *out);
/** Whether two readings of integer text are the same value. */
bool jlp__int_text_eq(const jlp__int_text *a, const jlp__int_text *b);
/** The value as an unsigned 64-bit number (sign ignored) when it fits. */
bool jlp__int_text_u64(const jlp__int_text *t, uint64_t *out);

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
