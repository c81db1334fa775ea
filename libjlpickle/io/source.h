/*
 * source.h - the input layer. A source exposes a window of unread bytes [cur, end) that
 * the unpickler reads with inline fast paths; refilling goes through one pull callback
 * per kind of source (memory has none: its window is the whole input). Offsets are
 * absolute: jlp__src_tell() is the number of bytes consumed since the source began.
 * io/ (sources, the decoded-source driver, sinks, running dumps) uses common/ and codec/.
 */
#ifndef JLP_SOURCE_H
#define JLP_SOURCE_H

#include "../common/common.h"

/* Pull up to `cap` bytes into `dst`. @return bytes (0 = end of input) or -1 (error,
 * with errno-style detail in src->sys_errno). */
typedef long long (*jlp__pull_fn)(jlp_source *src, void *dst, size_t cap);

struct jlp_source {
    const jlp_alc *alc;
    const uint8_t *cur, *end; /* unread window */
    uint64_t end_off;         /* absolute offset of `end` */
    jlp__pull_fn pull;        /* NULL for memory sources */
    uint8_t *buf;             /* window storage for pulled sources */
    size_t cap;
    bool at_end;              /* pull returned 0 */
    bool failed;              /* pull returned -1 */
    int sys_errno;
    int fd;
    bool own_fd;
    FILE *fp;
    jlp_read_fn fn;
    void *ctx;
    const char *path;         /* the file's path (companion files live beside it) */
    bool mapped;              /* a memory source over a read-only mapping of the file */
    uint64_t size_hint;       /* regular files: bytes from the source's start to the end
                                 of the file when opened (0: unknown) */
    const uint8_t *map;       /* mapped loads: the whole file, mapped, which the source
                                 reads from offset 0 through fd; payloads are lent from
                                 it (jlp__src_lend) instead of read, so a load touches
                                 only the pages its opcodes are on */
    uint64_t map_len;
    bool own_map;             /* jlp_source_path_mapped: jlp_source_free unmaps it */
    int threads;              /* threads that may read one large payload; 0: the online
                                 processors, at most 4 (asked only for such a payload) */
    size_t read_ask;          /* bytes the next refill asks for (grows to the window) */
    /* Container layer (decoded.c): set once the leading bytes were examined. */
    bool detected;
    struct jlp__layer *layer; /* decoder between `inner` and this window, or NULL */
    jlp_source *inner;        /* the undecoded input when layer != NULL */
    jlp_error pending;        /* why pull failed, when it was not a read error */
    void (*release)(jlp_source *s); /* frees what `ctx` holds for a custom pull (the
                                       archive layer's member readers), or NULL */
    bool whole_file;          /* a memory source over a small regular file read whole
                                 (archive/load.c): it lends payloads as memory does, and
                                 checks, fails and reports as the file's stream would */
};

static inline uint64_t jlp__src_tell(const jlp_source *s) {
    return s->end_off - (uint64_t)(s->end - s->cur);
}
static inline size_t jlp__src_avail(const jlp_source *s) { return (size_t)(s->end - s->cur); }
/* Memory given by the caller (a whole file read into memory behaves as the file). */
static inline bool jlp__src_is_mem(const jlp_source *s) { return s->pull == NULL && !s->whole_file; }

/** Try to make at least `need` bytes available in the window (growing the buffer when
 *  needed). @return the bytes available afterwards (< need at end of input or on a read
 *  error; check s->failed). */
size_t jlp__src_fill(jlp_source *s, size_t need);

/** @return a pointer to `n` available bytes (and consume them), or NULL when the input
 *  ends first. The pointer stays valid until the next call on the source, and for memory
 *  sources for the source's lifetime. */
static inline const uint8_t *jlp__src_take(jlp_source *s, size_t n) {
    if (JLP_UNLIKELY(jlp__src_avail(s) < n) && jlp__src_fill(s, n) < n) return NULL;
    const uint8_t *p = s->cur;
    s->cur += n;
    return p;
}

/** Copy the next `n` bytes into `dst`, reading straight from the underlying input when
 *  the window runs dry (no buffer growth); a large part of a regular file is read by
 *  up to s->threads threads at once. @return bytes copied (< n at end/error). */
size_t jlp__src_copy(jlp_source *s, void *dst, size_t n);

/** Whether the source can lend bytes that outlive its window: a memory source, or the
 *  mapping of a mapped load (not below a decoder layer). */
static inline bool jlp__src_lends(const jlp_source *s) {
    return !s->pull || (s->map && !s->layer);
}
/** @return the bytes between the source's position and its known end: the rest of a
 *  memory source or of a mapped file; UINT64_MAX when the end is not known. */
static inline uint64_t jlp__src_remaining(const jlp_source *s) {
    if (!s->pull) return (uint64_t)(s->end - s->cur);
    if (s->map && !s->layer) {
        uint64_t at = jlp__src_tell(s);
        return at < s->map_len ? s->map_len - at : 0;
    }
    return UINT64_MAX;
}
/** Consume the next `n` bytes and @return a pointer to them that stays valid for the
 *  source's lifetime (memory sources) or the mapping's (mapped loads: the pointer is
 *  into the mapping, the window's bytes are skipped and the descriptor seeks past the
 *  rest, so the bytes are not read). NULL (nothing consumed) when the source cannot
 *  lend (jlp__src_lends) or fewer than `n` bytes remain; check s->failed. */
const uint8_t *jlp__src_lend(jlp_source *s, uint64_t n);

/** Find the next line (ending in '\n') within `max` bytes. @return its start with the
 *  length including '\n' in *len, consumed; or NULL: *len = 0 when the input ended
 *  first, *len = 1 when no newline lies within `max` bytes. Nothing is consumed on NULL. */
const uint8_t *jlp__src_line(jlp_source *s, size_t max, size_t *len);

/** Fill `err` with the reason the source failed (a decoder's pending error, else the
 *  read error) at decoded offset `offset` and opcode `opcode`. @return the code. */
jlp_code jlp__src_error(jlp_source *s, jlp_error *err, uint64_t offset, int opcode);

/** Examine the leading bytes (once per source, at its start) and insert the decoder
 *  layer of a compressed container (decoded.c). @return JLP_OK, or the error:
 *  UNKNOWN_FORMAT, CODEC_MISSING, TRUNCATED (empty input), IO, NOMEM. `opts` are
 *  resolved options (common/opts.h: limits set). */
jlp_code jlp__src_detect(jlp_source *s, const jlp_read_opts *opts, jlp_error *err);
/** @return the name of the detected container ("none" for a raw pickle, NULL before
 *  detection). */
const char *jlp__src_container(const jlp_source *s);
/** Release the decoder layer (called by jlp_source_free). */
void jlp__layer_free(jlp_source *s);

/** Create a source with a pull callback; the caller fills the kind-specific fields. */
jlp_source *jlp__src_new(const jlp_alc *alc, jlp__pull_fn pull, jlp_error *err);

#endif /* JLP_SOURCE_H */
