/* decimal.h - the decimal digits of an unsigned integer, shared by the float repr and the
 * writer's protocol 0 text lines. */
#ifndef JLP_DECIMAL_H
#define JLP_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/** Write the decimal digits of v, most significant first, without a sign or a NUL, at out
 *  (room for 20 bytes). @return how many (1 for 0). */
size_t jlp__u64_decimal(uint64_t v, char *out);

#endif
