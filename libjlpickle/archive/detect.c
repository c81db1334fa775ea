/* detect.c - what an archive looks like from its first bytes, and which member names
 * are unsafe to use as paths. */
#include "archive.h"

/* A tar header's checksum: the byte sum of the header with the checksum field taken as
 * eight spaces. Some old writers summed signed chars; tarfile accepts both, so do we. */
static bool tar_checksum_ok(const uint8_t *h) {
    uint64_t want = 0;
    size_t i = 148, end = 156;
    while (i < end && h[i] == ' ') i++;
    size_t digits = 0;
    for (; i < end && h[i] >= '0' && h[i] <= '7'; i++, digits++) want = want * 8 + (uint64_t)(h[i] - '0');
    if (!digits) return false;
    for (; i < end; i++)
        if (h[i] != ' ' && h[i] != 0) return false;
    uint64_t u = 0;
    int64_t s = 0;
    for (size_t k = 0; k < 512; k++) {
        uint8_t c = (k >= 148 && k < 156) ? ' ' : h[k];
        u += c;
        s += (int8_t)c;
    }
    return want == u || (int64_t)want == s;
}

jlp__sniff jlp__archive_sniff(const uint8_t *head, size_t len) {
    if (len >= 4 && head[0] == 'P' && head[1] == 'K' &&
        ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6)))
        return JLP__SNIFF_ZIP;
    if (len < 512 || !tar_checksum_ok(head)) return JLP__SNIFF_NONE;
    /* POSIX ustar ("ustar\0" "00") or GNU ("ustar  \0") */
    if (!memcmp(head + 257, "ustar", 5)) return JLP__SNIFF_TAR;
    /* A pre-POSIX header: a NUL-terminated name and octal size, mode and mtime fields. */
    if (head[0] == 0 || !memchr(head, 0, 100)) return JLP__SNIFF_NONE;
    for (size_t k = 124; k < 136; k++)
        if (!(head[k] == 0 || head[k] == ' ' || (head[k] >= '0' && head[k] <= '7'))) return JLP__SNIFF_NONE;
    return JLP__SNIFF_TAR;
}

bool jlp__name_unsafe(const char *name, size_t len) {
    if (!len) return true;
    if (name[0] == '/' || name[0] == '\\') return true;
    if (len >= 2 && name[1] == ':' && ((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z')) return true;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && name[i] == '\0') return true;
        if (i < len && name[i] == '\\') return true;
        if (i == len || name[i] == '/') {
            if (i - start == 2 && name[start] == '.' && name[start + 1] == '.') return true;
            start = i + 1;
        }
    }
    return false;
}
