/* decimal_double.h - decimal text to the nearest double, as strtod and Python's float()
 * give it (correctly rounded, ties to even), without strtod's cost on the common cases. */
#ifndef JLP_DECIMAL_DOUBLE_H
#define JLP_DECIMAL_DOUBLE_H

#include <stddef.h>

/** The double nearest the number written in s[0..n): an optional sign, then 'inf',
 *  'infinity' or 'nan' (any case), or digits with an optional '.' and fraction (at
 *  least one digit in all) and an optional exponent ('e' or 'E', an optional sign,
 *  digits). The caller has checked that shape, and s[n] is a NUL: text the fast
 *  algorithms cannot decide (over 19 significant digits near a tie, results out of
 *  range or subnormal, the words) goes to strtod(s) in the C locale. Pure and
 *  thread-safe. */
double jlp__decimal_to_double(const char *s, size_t n);

#endif
