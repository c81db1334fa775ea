/* crc32.c - the CRC-32 of zip members: zlib's when the build has zlib, else a table. */
#include "archive.h"

#ifdef JLP_HAVE_ZLIB
#include <zlib.h>

uint32_t jlp__crc32(uint32_t crc, const void *data, size_t n) {
    const Bytef *p = data;
    /* zlib takes uInt lengths: feed huge members in pieces */
    while (n) {
        uInt k = n > (size_t)1 << 30 ? (uInt)1 << 30 : (uInt)n;
        crc = (uint32_t)crc32((uLong)crc, p, k);
        p += k;
        n -= k;
    }
    return crc;
}

#else

static uint32_t table_entry(uint32_t c) {
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    return c;
}

uint32_t jlp__crc32(uint32_t crc, const void *data, size_t n) {
    /* Computed per call: this path only serves builds without zlib. */
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) table[i] = table_entry(i);
    const uint8_t *p = data;
    crc = ~crc;
    while (n--) crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

#endif
