/* utf8.c - UTF-8 validation and encoding with Python's "surrogatepass" rules: pickles
 * carry lone surrogates (U+D800..U+DFFF) encoded as three-byte sequences, and CPython's
 * unpickler accepts them, so we must too. */
#include "common.h"

/* Eight bytes at a time through text whose code points are all below U+0100, which is
 * what protocol 2 writes array bytes as (bytes pickled as _codecs.encode(latin1 text)):
 * every byte is ASCII, a lead C2 or C3, or a continuation right after such a lead. Per
 * byte b of a word, with bit 7 as the flag: L = b is C2 or C3, C = b is 10xxxxxx; the
 * word is good when every byte with bit 7 set is an L or a C, and the Cs are exactly
 * the bytes after the Ls (the lead of the word's first byte may end the previous word).
 * @return the bytes checked; a word that does not pass (or ends with a lead whose
 * continuation is past n) is left to the general loop, from its start or its lead. */
static inline uint64_t zero_bytes(uint64_t y) { /* bit 7 set in each byte of y that is 0 */
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full;
    return ~(((y & low7) + low7) | y | low7);
}

static size_t latin1_words(const uint8_t *s, size_t n) {
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t carry = 0;   /* 0x80: the previous word ended with a lead */
    size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t h = w & high;
        if (!h && !carry) { i += 8; continue; }
        uint64_t lead = zero_bytes((w & (0xFEull * ones)) ^ (0xC2ull * ones));
        uint64_t cont = zero_bytes((w & (0xC0ull * ones)) ^ (0x80ull * ones));
        if ((h & ~(lead | cont)) || cont != (((lead << 8) | carry) & high)) break;
        carry = lead >> 56;   /* the first byte of the next word must continue it */
        i += 8;
    }
#else
    (void)ones;
    (void)high;
#endif
    return carry ? i - 1 : i;   /* a lead at the end: its pair is checked again below */
}

/* latin1_words' check on 16 bytes a step, with SSE2 (every x86-64 has it): the three
 * byte classes are compares whose masks are then checked as latin1_words checks its
 * flag bits. Protocol 2 writes every bytes value as such text, and numpy's arrays in
 * protocol 2 are megabytes of it: this check ran at two instructions a byte and was
 * half the load of such a file. @return as latin1_words. */
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>

static size_t latin1_blocks(const uint8_t *s, size_t n) {
    const __m128i fe = _mm_set1_epi8((char)0xFE), c2 = _mm_set1_epi8((char)0xC2);
    const __m128i c0 = _mm_set1_epi8((char)0xC0), x80 = _mm_set1_epi8((char)0x80);
    unsigned carry = 0; /* 1: the previous block ended with a lead */
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        unsigned high = (unsigned)_mm_movemask_epi8(w);
        if (!(high | carry)) continue;
        unsigned lead = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(w, fe), c2));
        unsigned cont = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(w, c0), x80));
        if ((high & ~(lead | cont)) || cont != (((lead << 1) | carry) & 0xFFFFu)) break;
        carry = lead >> 15;
    }
    return carry ? i - 1 : i;
}
#else
static size_t latin1_blocks(const uint8_t *s, size_t n) {
    (void)s;
    (void)n;
    return 0;
}
#endif

size_t jlp__utf8_valid_prefix(const uint8_t *s, size_t n) {
    size_t i = latin1_blocks(s, n);
    i += latin1_words(s + i, n - i);
    while (i < n) {
        /* ASCII fast path: eight bytes at a time while no high bit is set. */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        uint8_t c = s[i];
        if (c < 0x80) { i++; continue; }
        /* two-byte sequences (U+0080..U+07FF), which is what Latin-1 text is made of
         * (protocol 2 writes bytes as such text): no code point to assemble */
        if ((uint8_t)(c - 0xC2) <= 0xDF - 0xC2) {
            if (n - i < 2 || (s[i + 1] & 0xC0) != 0x80) return i;
            i += 2;
            continue;
        }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* Runs of three-byte sequences (CJK text) and of four-byte ones (emoji), each
         * sequence checked as one little-endian word: lead and continuation bits, and
         * the smallest and largest code point (three bytes: not below U+0800, i.e. lead
         * bits or the first continuation's 0x20; surrogates pass). Anything else, or a
         * sequence that ends the text (the word would read past it), goes on below. */
        if ((c & 0xF0) == 0xE0) {
            size_t j = i;
            for (uint32_t w; j + 4 <= n; j += 3) {
                memcpy(&w, s + j, 4);
                if ((w & 0xC0C0F0u) != 0x8080E0u || !(w & 0x200Fu)) break;
            }
            if (j != i) { i = j; continue; }
        } else if ((c & 0xF8) == 0xF0) {
            size_t j = i;
            for (uint32_t w; j + 4 <= n; j += 4) {
                memcpy(&w, s + j, 4);
                uint32_t cp4 = (w & 7u) << 18 | (w >> 8 & 0x3Fu) << 12 | (w >> 16 & 0x3Fu) << 6 | (w >> 24 & 0x3Fu);
                if ((w & 0xC0C0C0F8u) != 0x808080F0u || cp4 < 0x10000u || cp4 > 0x10FFFFu) break;
            }
            if (j != i) { i = j; continue; }
        }
#endif
        size_t len;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return i;
        if (n - i < len) return i;
        for (size_t k = 1; k < len; k++) {
            uint8_t t = s[i + k];
            if ((t & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (t & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF) return i;
        i += len;
    }
    return n;
}

/* ---- Latin-1 text to bytes, 16 input bytes a step ---------------------------------------
 * Each byte of a 16-byte block is decoded where it stands: a lead (C2/C3) with the next
 * byte (read from the block shifted by one, so a lead in the last position uses the
 * first byte of the next block), any other byte as it is. Continuation bytes are then
 * dropped: each 8-byte half is packed by a byte shuffle (pshufb) whose pattern is looked
 * up by the half's 8-bit mask of kept bytes, and stored whole; the output advances by the
 * number kept. The scalar loop this replaces took a step per byte: random bytes (array
 * data) make half the bytes two-byte sequences, so nothing here branches per byte. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <pthread.h>

static uint8_t keep_shuffle[256][16]; /* [mask]: the positions of its set bits, packed */
static uint8_t keep_count[256];
static pthread_once_t keep_once = PTHREAD_ONCE_INIT;
static bool have_ssse3;

static void keep_init(void) {
    for (unsigned m = 0; m < 256; m++) {
        unsigned k = 0;
        for (unsigned b = 0; b < 8; b++)
            if (m >> b & 1) keep_shuffle[m][k++] = (uint8_t)b;
        keep_count[m] = (uint8_t)k;
        for (; k < 16; k++) keep_shuffle[m][k] = 0x80; /* pshufb: a zero byte */
    }
    __builtin_cpu_init();
    have_ssse3 = __builtin_cpu_supports("ssse3");
}

__attribute__((target("ssse3"))) static size_t latin1_ssse3(uint8_t *out, const uint8_t *s, size_t n,
                                                            size_t *out_n, unsigned *max_byte) {
    const __m128i c0 = _mm_set1_epi8((char)0xC0), c80 = _mm_set1_epi8((char)0x80);
    const __m128i c3f = _mm_set1_epi8(0x3F);
    __m128i top = _mm_setzero_si128();
    size_t i = 0, o = 0;
    /* i + 17 <= n: the shifted load reads byte i + 16 */
    while (n - i >= 17 + 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i next = _mm_loadu_si128((const __m128i *)(s + i + 1));
        top = _mm_max_epu8(top, x);
        __m128i hi2 = _mm_and_si128(x, c0);
        __m128i lead = _mm_cmpeq_epi8(hi2, c0);
        __m128i cont = _mm_cmpeq_epi8(hi2, c80);
        /* a lead's code point: its two low bits over the next byte's six */
        __m128i two = _mm_or_si128(_mm_and_si128(_mm_slli_epi16(x, 6), c0), _mm_and_si128(next, c3f));
        __m128i dec = _mm_or_si128(_mm_and_si128(lead, two), _mm_andnot_si128(lead, x));
        unsigned keep = ~(unsigned)_mm_movemask_epi8(cont) & 0xFFFFu;
        unsigned k0 = keep & 0xFF, k1 = keep >> 8;
        __m128i lo = _mm_shuffle_epi8(dec, _mm_loadu_si128((const __m128i *)keep_shuffle[k0]));
        _mm_storel_epi64((__m128i *)(out + o), lo);
        o += keep_count[k0];
        __m128i hi = _mm_shuffle_epi8(_mm_srli_si128(dec, 8), _mm_loadu_si128((const __m128i *)keep_shuffle[k1]));
        _mm_storel_epi64((__m128i *)(out + o), hi);
        o += keep_count[k1];
        i += 16;
    }
    /* stop at a sequence boundary: a lead in the block's last position was decoded with
     * the byte after it, which is then the next input byte and a continuation */
    if (i && (s[i] & 0xC0) == 0x80) i++;
    uint8_t t[16];
    _mm_storeu_si128((__m128i *)t, top);
    unsigned m = 0;
    for (int k = 0; k < 16; k++) m = t[k] > m ? t[k] : m;
    *max_byte = m;
    *out_n = o;
    return i;
}

size_t jlp__latin1_from_utf8_wide(uint8_t *out, const uint8_t *s, size_t n, size_t *out_n, unsigned *max_byte) {
    *out_n = 0;
    *max_byte = 0;
    if (n < 17 + 16) return 0;
    pthread_once(&keep_once, keep_init);
    return have_ssse3 ? latin1_ssse3(out, s, n, out_n, max_byte) : 0;
}
#else
size_t jlp__latin1_from_utf8_wide(uint8_t *out, const uint8_t *s, size_t n, size_t *out_n, unsigned *max_byte) {
    (void)out;
    (void)s;
    (void)n;
    *out_n = 0;
    *max_byte = 0;
    return 0;
}
#endif
