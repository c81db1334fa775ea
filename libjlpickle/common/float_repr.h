/* float_repr.h - Python's repr() of a float, shared by the JSON exporter and the writer. */
#ifndef JLP_FLOAT_REPR_H
#define JLP_FLOAT_REPR_H

#include <stddef.h>

/** Write Python's repr() of the finite double `d` into out (>= 32 bytes): the shortest
 *  digits that read back to the same double, in fixed notation when the decimal exponent
 *  is in [-4, 16), else scientific with a signed two-digit-minimum exponent ("1e+16",
 *  "1.5e-05"), and ".0" added to integral fixed values. @return the length. */
size_t jlp__float_repr(double d, char *out);

#endif
