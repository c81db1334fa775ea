/* sha256.h - SHA-256 (FIPS 180-4), for the digests the JSON export prints in place of
 * large arrays. */
#ifndef JLP_SHA256_H
#define JLP_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct jlp__sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t fill;
} jlp__sha256;

void jlp__sha256_init(jlp__sha256 *s);
void jlp__sha256_update(jlp__sha256 *s, const void *data, size_t n);
void jlp__sha256_final(jlp__sha256 *s, uint8_t out[32]);

#endif
