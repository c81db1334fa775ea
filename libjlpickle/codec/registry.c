/* registry.c - the codec registry and container detection by scored bids. */
#include "codec.h"

#include "../common/opcodes.h"

#include <string.h>

struct jlp_registry {
    const jlp_alc *alc;
    const jlp_codec **codecs;
    size_t n, cap;
    bool is_static;
};

/* Order matters only for equal bids, which the built-in magics never produce. */
static const jlp_codec *builtin[] = { /* never modified */
    &jlp__codec_zf,   &jlp__codec_zlib, &jlp__codec_gzip, &jlp__codec_bz2,
    &jlp__codec_lzma, &jlp__codec_xz,   &jlp__codec_lz4,  &jlp__codec_zstd,
};
#define NBUILTIN (sizeof builtin / sizeof builtin[0])

static const jlp_registry default_registry = {NULL, builtin, NBUILTIN,
                                              NBUILTIN, true};

const jlp_registry *jlp_registry_default(void) { return &default_registry; }

jlp_registry *jlp_registry_new(const jlp_alc *alc) {
    alc = jlp__alc_or_default(alc);
    jlp_registry *r = jlp__malloc(alc, sizeof *r);
    if (!r) return NULL;
    r->alc = alc;
    r->cap = NBUILTIN + 8;
    r->codecs = jlp__malloc(alc, r->cap * sizeof *r->codecs);
    if (!r->codecs) {
        jlp__free(alc, r, sizeof *r);
        return NULL;
    }
    memcpy(r->codecs, builtin, sizeof builtin);
    r->n = NBUILTIN;
    r->is_static = false;
    return r;
}

void jlp_registry_free(jlp_registry *reg) {
    if (!reg || reg->is_static) return;
    jlp__free(reg->alc, reg->codecs, reg->cap * sizeof *reg->codecs);
    jlp__free(reg->alc, reg, sizeof *reg);
}

jlp_code jlp_registry_add(jlp_registry *reg, const jlp_codec *codec, jlp_error *err) {
    jlp__clear(err);
    if (!reg || reg->is_static || !codec)
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL or immutable registry, or NULL codec");
    if (codec->abi_version != JLP_CODEC_ABI_VERSION || !codec->name || !codec->name[0] ||
        !codec->bid || codec->bid_bytes > 64)
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1,
                         "codec needs abi_version %d, a name, a bid function and bid_bytes <= 64",
                         JLP_CODEC_ABI_VERSION);
    if ((codec->dec_new != NULL) != (codec->dec_run != NULL) ||
        (codec->dec_new != NULL) != (codec->dec_free != NULL))
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "codec decoder callbacks must be all set or all NULL");
    if ((codec->enc_new != NULL) != (codec->enc_run != NULL) ||
        (codec->enc_new != NULL) != (codec->enc_free != NULL))
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "codec encoder callbacks must be all set or all NULL");
    for (size_t i = 0; i < reg->n; i++) {
        if (strcmp(reg->codecs[i]->name, codec->name) == 0) {
            reg->codecs[i] = codec;
            return JLP_OK;
        }
    }
    if (reg->n == reg->cap) {
        size_t cap = reg->cap * 2;
        const jlp_codec **c = jlp__realloc(reg->alc, reg->codecs, reg->cap * sizeof *c, cap * sizeof *c);
        if (!c) return jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot grow the registry");
        reg->codecs = c;
        reg->cap = cap;
    }
    reg->codecs[reg->n++] = codec;
    return JLP_OK;
}

static const jlp_registry *or_default(const jlp_registry *reg) {
    return reg ? reg : &default_registry;
}

const jlp_codec *jlp_registry_find(const jlp_registry *reg, const char *name) {
    reg = or_default(reg);
    if (!name) return NULL;
    for (size_t i = 0; i < reg->n; i++)
        if (strcmp(reg->codecs[i]->name, name) == 0) return reg->codecs[i];
    return NULL;
}

size_t jlp_registry_count(const jlp_registry *reg) { return or_default(reg)->n; }

const jlp_codec *jlp_registry_get(const jlp_registry *reg, size_t i) {
    reg = or_default(reg);
    return i < reg->n ? reg->codecs[i] : NULL;
}

int jlp__bid_pickle(const uint8_t *head, size_t len) {
    if (!len) return 0;
    /* PROTO: a protocol above 5 still bids, so the unpickler can say BAD_PROTO */
    if (head[0] == 0x80) return len >= 2 && head[1] <= 5 ? 16 : 2;
    /* numpy's .npy magic starts with the STACK_GLOBAL opcode, but no pickle can: STACK_GLOBAL
     * on an empty stack fails. Loaders name the format instead (jlp_load_npy_* reads it). */
    if (len >= 6 && !memcmp(head, "\x93NUMPY", 6)) return 0;
    /* Protocol 0/1 pickles start with any opcode: a weak bid that every magic beats. */
    return jlp__opcode_name(head[0]) ? 1 : 0;
}

const jlp_codec *jlp_registry_detect(const jlp_registry *reg, const uint8_t *head, size_t len,
                                     int *is_pickle) {
    reg = or_default(reg);
    const jlp_codec *best = NULL;
    int best_bid = head ? jlp__bid_pickle(head, len) : 0;
    int pickle_bid = best_bid;
    for (size_t i = 0; head && i < reg->n; i++) {
        int b = reg->codecs[i]->bid(reg->codecs[i], head, len);
        if (b > best_bid) {
            best_bid = b;
            best = reg->codecs[i];
        }
    }
    if (is_pickle) *is_pickle = !best && pickle_bid > 0;
    return best;
}

void *jlp__codec_alloc(void *opaque, size_t n) {
    size_t total;
    if (!jlp__add_size(n, 2 * sizeof(size_t), &total)) return NULL;
    size_t *p = jlp__malloc(opaque, total);
    if (!p) return NULL;
    p[0] = total;
    return p + 2; /* two words keep 16-byte alignment */
}

void jlp__codec_free(void *opaque, void *ptr) {
    if (!ptr) return;
    size_t *p = (size_t *)ptr - 2;
    jlp__free(opaque, p, p[0]);
}

jlp_codec_status jlp__codec_fail(jlp_error *err, jlp_code code, const char *codec,
                                 const char *what) {
    jlp__fail(err, code, 0, -1, "%s: %s", codec, what ? what : jlp_strerror(code));
    return JLP_CODEC_ERROR;
}
