/*
 * test_utf8.c - the UTF-8 validator against a byte-at-a-time reference: its word-at-a-
 * time paths (ASCII runs, and text below U+0100, which is what protocol 2 writes array
 * bytes as) must give the same valid prefix as reading one code point at a time, on
 * chosen edges and on millions of random strings.
 */
#include "harness.h"
#include "util.h"

#include <stdint.h>

size_t jlp__utf8_valid_prefix(const uint8_t *s, size_t n);

/* The reference: Python's "surrogatepass" UTF-8, one code point at a time. */
static size_t reference(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) { i++; continue; }
        size_t len;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return i;
        if (n - i < len) return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF) return i;
        i += len;
    }
    return n;
}

static int same(const uint8_t *s, size_t n) {
    size_t a = jlp__utf8_valid_prefix(s, n), b = reference(s, n);
    if (a == b) return 1;
    TH_FAIL("prefix %zu, reference %zu, for %zu bytes starting %02x %02x", a, b, n, n ? s[0] : 0, n > 1 ? s[1] : 0);
    return 0;
}

TEST(latin1_text_edges) {
    uint8_t s[64];
    /* a lead as the last byte of an 8-byte word, its continuation in the next */
    memset(s, 'a', sizeof s);
    s[7] = 0xC3, s[8] = 0xA9;
    CHECK_INT(jlp__utf8_valid_prefix(s, 16), 16);
    same(s, 16);
    s[8] = 'b'; /* the continuation is missing */
    CHECK_INT(jlp__utf8_valid_prefix(s, 16), 7);
    s[8] = 0xA9;
    CHECK_INT(jlp__utf8_valid_prefix(s, 8), 7); /* the string ends after the lead */
    /* a continuation with no lead, a lead after a lead, C0/C1 and F5 leads */
    static const uint8_t bad[][2] = {{'a', 0x80}, {0xC2, 0xC2}, {0xC0, 0x80}, {0xC1, 0xBF}, {0xF5, 0x80}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memset(s, 'a', sizeof s);
        s[10] = bad[k][0], s[11] = bad[k][1];
        same(s, 24);
    }
    /* all 128 Latin-1 code points above 0x7F, twice */
    size_t n = 0;
    for (int r = 0; r < 2; r++)
        for (int cp = 0x80; cp < 0x100 && n + 2 <= sizeof s; cp++) s[n++] = (uint8_t)(0xC0 | (cp >> 6)), s[n++] = (uint8_t)(0x80 | (cp & 0x3F));
    CHECK_INT(jlp__utf8_valid_prefix(s, n), n);
    /* three- and four-byte characters and surrogates in the middle of Latin-1 text */
    static const uint8_t mixed[] = {0xC3, 0xA9, 'x', 0xE2, 0x82, 0xAC, 0xC2, 0xA0, 0xED, 0xA0, 0x80,
                                    0xF0, 0x9F, 0x98, 0x80, 0xC3, 0xBF, 'y', 'z', 0xC2, 0x80};
    CHECK_INT(jlp__utf8_valid_prefix(mixed, sizeof mixed), sizeof mixed);
    /* the same at the edges of 16-byte blocks, in high text (every block checked): a
     * lead at 15, 31, 47 and its continuation in the next block */
    for (size_t at = 15; at < 48; at += 16) {
        memset(s, 'a', sizeof s);
        for (size_t i = at; i + 1 < sizeof s; i += 2) s[i] = 0xC3, s[i + 1] = 0xA9;
        CHECK_INT(jlp__utf8_valid_prefix(s, 64), 64);
        CHECK_INT(jlp__utf8_valid_prefix(s, at + 1), at); /* the text ends after the lead */
        s[at + 1] = 'b'; /* the continuation is missing */
        CHECK_INT(jlp__utf8_valid_prefix(s, 64), at);
        s[at + 1] = 0xC3; /* a lead after a lead */
        CHECK_INT(jlp__utf8_valid_prefix(s, 64), at);
        s[at + 1] = 0xA9;
        s[at] = 0xC4; /* U+0100 and up: valid, past the Latin-1 check */
        CHECK_INT(jlp__utf8_valid_prefix(s, 64), 64);
        s[at] = 0xC1; /* an overlong lead */
        CHECK_INT(jlp__utf8_valid_prefix(s, 64), at);
        s[at] = 0xC3;
        memset(s + at + 1, 'b', sizeof s - at - 1); /* the lead, then ASCII blocks */
        CHECK_INT(jlp__utf8_valid_prefix(s, 64), at);
    }
}

TEST(random_strings_agree_with_the_reference) {
    uint64_t x = 0x9E3779B97F4A7C15ull;
    static const uint8_t alphabet[] = {'a', 0x00, 0x7F, 0x80, 0x8F, 0xBF, 0xC0, 0xC2, 0xC3, 0xC4, 0xDF,
                                       0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
    uint8_t s[80];
    long rounds = quick() ? 20000 : 2000000;
    int bad = 0;
    for (long t = 0; t < rounds && bad < 5; t++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = (size_t)(x % sizeof s);
        int mode = (int)((x >> 8) % 5);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (mode == 0) s[i] = alphabet[x % sizeof alphabet];
            else if (mode == 1) s[i] = (uint8_t)x;
            else if (mode >= 3 && i + 3 < n && (x & 7)) {
                /* CJK (3 bytes: U+0800..U+FFFF, surrogates too) or emoji (4 bytes:
                 * U+10000..U+10FFFF) text with rare faults: a bad continuation, an
                 * overlong lead (E0 80, F0 80), a code point past U+10FFFF (F4 90), F5 */
                uint32_t cp = mode == 3 ? 0x800 + (uint32_t)((x >> 4) % 0xF800)
                                        : 0x10000 + (uint32_t)((x >> 4) % 0x100000);
                size_t len = mode == 3 ? 3 : 4;
                if (mode == 3) {
                    s[i] = (uint8_t)(0xE0 | cp >> 12);
                    s[i + 1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
                    s[i + 2] = (uint8_t)(0x80 | (cp & 0x3F));
                } else {
                    s[i] = (uint8_t)(0xF0 | cp >> 18);
                    s[i + 1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
                    s[i + 2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
                    s[i + 3] = (uint8_t)(0x80 | (cp & 0x3F));
                }
                int fault = (int)((x >> 30) % 64);
                if (fault == 0) s[i + 1 + (x >> 36) % (len - 1)] = (uint8_t)(x >> 40);
                else if (fault == 1) s[i + 1] = 0x80 | (uint8_t)((x >> 40) & 0x1F); /* E0/F0 overlong or fine */
                else if (fault == 2 && len == 4) { s[i] = 0xF4; s[i + 1] = (uint8_t)(0x80 | ((x >> 40) & 0x3F)); }
                else if (fault == 3) s[i] = (uint8_t)(len == 3 ? 0xE0 : 0xF0 + (x >> 40) % 6);
                i += len - 1;
            }
            else if (i + 1 < n && (x & 3)) { /* Latin-1 text with a rare fault */
                s[i] = (uint8_t)(0xC2 + ((x >> 2) & 1));
                s[i + 1] = (x >> 3) % 61 ? (uint8_t)(0x80 | ((x >> 9) & 0x3F)) : (uint8_t)(x >> 9);
                i++;
            } else s[i] = (x >> 4) % 29 ? 'q' : (uint8_t)(x >> 12);
        }
        bad += !same(s, n);
    }
}

/* ---- Latin-1 text to bytes, 16 at a time (jlp__latin1_from_utf8_wide) ------------------
 * Random byte strings of every length to 300, in four mixes (random, ASCII with rare high
 * bytes, all high, runs), written as the UTF-8 protocol 2 gives: the kernel's output must
 * be the bytes of the text it says it consumed, end on a sequence boundary at least 16
 * bytes before the end, and report a byte above 0xC3 exactly when it consumed a code
 * point past U+00FF (planted at a random place in a quarter of the strings). */
size_t jlp__latin1_from_utf8_wide(uint8_t *out, const uint8_t *s, size_t n, size_t *out_n,
                                  unsigned *max_byte);

TEST(latin1_wide_kernel_agrees_with_the_text) {
    uint64_t rng = 0x2545F4914F6CDD1Dull;
    uint8_t src[300], text[700], out[701];
    size_t checked = 0, wide = 0, planted_seen = 0;
    for (int round = 0; round < 40; round++)
        for (size_t len = 0; len <= 300; len++) {
            int mix = round % 4;
            for (size_t k = 0; k < len; k++) {
                rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
                uint8_t b = (uint8_t)rng;
                if (mix == 1) b = (rng >> 8) % 16 ? b & 0x7F : b;
                else if (mix == 2) b |= 0x80;
                else if (mix == 3) b = (uint8_t)(k / 5 % 2 ? 0xE9 : 'a');
                src[k] = b;
            }
            /* UTF-8 of src; at `plant` a code point past U+00FF (U+0100 .. U+07FF) */
            size_t plant = (round / 4) % 4 == 0 && len ? (size_t)(rng >> 20) % len : SIZE_MAX;
            size_t tn = 0, at_src[301], src_at[700];
            for (size_t k = 0; k < len; k++) {
                at_src[k] = tn;
                if (k == plant) {
                    text[tn] = 0xC4 + (uint8_t)(rng >> 40) % 28; src_at[tn++] = k;
                    text[tn] = 0x80 | (src[k] & 0x3F); src_at[tn++] = k;
                } else if (src[k] < 0x80) {
                    src_at[tn] = k; text[tn++] = src[k];
                } else {
                    src_at[tn] = k; text[tn++] = 0xC0 | (src[k] >> 6);
                    src_at[tn] = k; text[tn++] = 0x80 | (src[k] & 0x3F);
                }
            }
            at_src[len] = tn;
            size_t on = 0;
            unsigned top = 0;
            size_t used = jlp__latin1_from_utf8_wide(out, text, tn, &on, &top);
            checked++;
            if (!used) continue;
            wide++;
            CHECK(used + 16 <= tn);
            size_t k = src_at[used - 1] + 1; /* code points wholly consumed */
            CHECK_INT(at_src[k], used);       /* a sequence boundary */
            CHECK_INT(on, k);
            bool past = plant < k;
            planted_seen += past;
            CHECK_INT(top > 0xC3, past);
            for (size_t j = 0; j < k; j++)
                if (j != plant && out[j] != src[j]) {
                    CHECK_INT(out[j], src[j]);
                    break;
                }
        }
    CHECK_INT(checked, 40 * 301);
    CHECK(wide > 8000);        /* the kernel ran (the machine has SSSE3) */
    CHECK(planted_seen > 500); /* and saw planted code points */
}
