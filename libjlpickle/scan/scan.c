/*
 * scan.c - jlp_scan(): get the input's bytes in one place (a mapping of a regular file,
 * the caller's memory, or a stream read into memory within the budgets), then run the
 * reader over them once per reading with rules.c judging its events, pickle after
 * pickle, and collect everything in a report.
 */
#include "scan.h"

#include "../common/opts.h"
#include "../io/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- budgets ------------------------------------------------------------------------- */

/* A file under 1 MiB costs at most about 256 MiB and 2 s to scan (spec/SAFETY.md 7). */
#define BUDGET_FLOOR ((uint64_t)256 << 20)   /* decoded bytes allowed whatever the size */
#define BUDGET_RATIO 256u                    /* decoded bytes per input byte */
#define BUDGET_OPS_FLOOR ((uint64_t)16 << 20) /* opcodes allowed whatever the size */
#define BUDGET_OPS_PER_BYTE 32u

static uint64_t sat_mul(uint64_t a, uint64_t b) {
    uint64_t r;
    return jlp__mul_u64(a, b, &r) ? r : UINT64_MAX;
}
static uint64_t sat_add(uint64_t a, uint64_t b) {
    uint64_t r;
    return jlp__add_u64(a, b, &r) ? r : UINT64_MAX;
}

void jlp_limits_untrusted(jlp_limits *lim, uint64_t input_size) {
    if (!lim) return;
    jlp_limits d = JLP_LIMITS_INIT;
    *lim = d;
    uint64_t decoded = sat_add(BUDGET_FLOOR, sat_mul(BUDGET_RATIO, input_size));
    lim->max_ratio = BUDGET_RATIO;
    lim->max_decoded = decoded;
    lim->max_ops = input_size ? sat_add(BUDGET_OPS_FLOOR, sat_mul(BUDGET_OPS_PER_BYTE, input_size))
                              : sat_add(BUDGET_OPS_FLOOR, decoded / 8);
    lim->max_str = decoded;
    lim->max_alloc = sat_mul(2, decoded);
}

/* The caller's options and limits over the defaults (common/opts.h). */
typedef struct scan_cfg {
    jlp_scan_opts opts;
    jlp_limits limits;
    bool have_limits;
} scan_cfg;

static jlp_code scan_cfg_init(scan_cfg *cfg, const jlp_scan_opts *user, jlp_error *err) {
    jlp_scan_opts d = JLP_SCAN_OPTS_INIT;
    cfg->opts = d;
    jlp_code c = jlp__struct_in(&cfg->opts, sizeof cfg->opts, user, "jlp_scan_opts", err);
    if (c) return c;
    cfg->have_limits = cfg->opts.limits != NULL;
    jlp_limits_init(&cfg->limits);
    if (cfg->have_limits) c = jlp__struct_in(&cfg->limits, sizeof cfg->limits, cfg->opts.limits, "jlp_limits", err);
    cfg->opts.limits = NULL; /* use cfg->limits */
    return c;
}

/* ---- the input's bytes --------------------------------------------------------------- */

typedef struct scan_input {
    const uint8_t *data;
    size_t len;
    void *map;             /* a mapping to release */
    size_t map_len;
    uint8_t *owned;        /* a stream read into memory */
    size_t owned_cap;
    const char *path;      /* the main file, for companion files; NULL when none */
    const jlp_alc *alc;
} scan_input;

static void input_release(scan_input *in) {
    if (in->map) munmap(in->map, in->map_len);
    jlp__free(in->alc, in->owned, in->owned_cap);
}

/* Map the regular file behind `fd` from byte `start`. @return 1 done, 0 not a regular
 * file (read it as a stream), -1 error in err. */
static int input_map(scan_input *in, int fd, uint64_t start, jlp_error *err) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    if ((uint64_t)st.st_size > SIZE_MAX || start > (uint64_t)st.st_size) return 0;
    size_t size = (size_t)st.st_size;
    if (size == 0) {
        in->data = (const uint8_t *)"";
        in->len = 0;
        return 1;
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        jlp__fail(err, JLP_E_IO, 0, -1, "cannot map the input: %s", strerror(errno));
        return -1;
    }
    in->map = map;
    in->map_len = size;
    in->data = (const uint8_t *)map + start;
    in->len = size - (size_t)start;
    return 1;
}

/* Read what remains of a stream into memory, at most `cap` bytes (0: no cap). */
static jlp_code input_drain(scan_input *in, jlp_source *src, uint64_t cap, jlp_error *err) {
    size_t have = 0, room = 0;
    uint8_t *buf = NULL;
    for (;;) {
        size_t avail = jlp__src_avail(src);
        if (!avail && !jlp__src_fill(src, 1)) break;
        avail = jlp__src_avail(src);
        if (cap && have + avail > cap) {
            jlp__free(in->alc, buf, room);
            return jlp__fail(err, JLP_E_LIMIT, have, -1, "the input is larger than the scan budget (%llu bytes)",
                             (unsigned long long)cap);
        }
        if (have + avail > room) {
            size_t nroom = room ? room : 1 << 16;
            while (nroom < have + avail) nroom *= 2;
            uint8_t *nb = jlp__realloc(in->alc, buf, room, nroom);
            if (!nb) {
                jlp__free(in->alc, buf, room);
                return jlp__fail(err, JLP_E_NOMEM, have, -1, "out of memory reading the input");
            }
            buf = nb;
            room = nroom;
        }
        memcpy(buf + have, src->cur, avail);
        src->cur += avail;
        have += avail;
    }
    if (src->failed) {
        jlp__free(in->alc, buf, room);
        return jlp__src_error(src, err, have, -1);
    }
    in->owned = buf;
    in->owned_cap = room;
    in->data = buf ? buf : (const uint8_t *)"";
    in->len = have;
    return JLP_OK;
}

/* ---- one reading --------------------------------------------------------------------- */

static int trace(void *ctx, const jlp_event *ev) {
    jlp__rules_event(ctx, ev);
    return 0;
}

/* Is the failure one of the container (a codec knows the compressed byte) rather than
 * of the pickle bytes? */
static bool container_error(const jlp_error *e) {
    return e->input_offset != UINT64_MAX && e->input_offset != e->offset;
}

/* Run `reading` over the input, pickle after pickle, to the end or the first error. */
static jlp_code run_reading(jlp_scan_report *r, const scan_input *in, const jlp_scan_opts *o,
                            const jlp_limits *lim, jlp_reading reading, bool primary, jlp_error *err) {
    jlp__reading_ctx c;
    memset(&c, 0, sizeof c);
    c.r = r;
    c.policy = o->policy;
    c.reading = reading;
    c.primary = primary;
    jlp__buf_init(&c.why, o->alc);
    jlp__buf_init(&c.subj, o->alc);
    jlp_read_opts ro;
    jlp_read_opts_init(&ro);
    ro.limits = lim;
    ro.alc = o->alc;
    ro.registry = o->registry;
    ro.no_companions = o->no_companions;
    ro.trace = trace;
    ro.trace_ctx = &c;
    jlp_code result = JLP_OK;
    jlp_source *src = jlp_source_mem(in->data, in->len, o->alc, err);
    if (!src) {
        result = err ? err->code : JLP_E_NOMEM;
        goto out;
    }
    if (in->path) {
        size_t n = strlen(in->path) + 1;
        char *p = jlp__malloc(src->alc, n);
        if (!p) {
            result = jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
            goto out;
        }
        memcpy(p, in->path, n);
        src->path = p;
    }
    for (c.pickle = 1;; c.pickle++) {
        uint64_t start = jlp_source_tell(src);
        jlp_error e;
        jlp__clear(&e);
        jlp_doc *doc = jlp_load(src, &ro, &e);
        if (primary && src->detected && !r->container[0]) {
            const char *cn = jlp__src_container(src);
            if (cn) snprintf(r->container, sizeof r->container, "%s", cn);
        }
        if (!doc) {
            if (c.pickle == 1 || container_error(&e)) {
                if (primary && !r->failed) {
                    r->failed = true;
                    r->error = e;
                }
            } else {
                /* bytes after a complete pickle that are not one: Python's load ignores
                 * them, another reader might not */
                c.why.len = 0;
                jlp__buf_printf(&c.why, "the bytes after pickle %u are not a pickle (%s at byte %llu: %s)",
                                c.pickle - 1, jlp_error_name(e.code), (unsigned long long)e.offset, e.msg);
                unsigned keep = c.pickle;
                c.pickle = 0;
                jlp__reading_finding(&c, NULL, start, JLP_VERDICT_SUSPICIOUS, "", 0, "", 0, "trailing",
                                     jlp__buf_cstr(&c.why));
                c.pickle = keep;
            }
            break;
        }
        jlp_doc_free(doc);
        if (primary) r->pickles++;
        int eof = jlp_source_at_eof(src, &e);
        if (eof < 0) {
            if (primary && !r->failed) {
                r->failed = true;
                r->error = e;
            }
            break;
        }
        if (eof) break;
    }
out:
    jlp_source_free(src);
    jlp__buf_release(&c.why);
    jlp__buf_release(&c.subj);
    r->readings |= 1u << reading;
    return result;
}

/* ---- entry points -------------------------------------------------------------------- */

static jlp_scan_report *scan_input_bytes(scan_input *in, const jlp_scan_opts *o, const jlp_limits *lim,
                                         jlp_error *err) {
    jlp_scan_report *r = jlp__report_new(o->alc, o->max_per_subject);
    if (!r) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a report");
        return NULL;
    }
    jlp_code c = run_reading(r, in, o, lim, JLP_READING_JOBLIB, true, err);
    if (c == JLP_OK && r->nomem) c = jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for the findings");
    if (c != JLP_OK) {
        jlp_report_free(r);
        return NULL;
    }
    return r;
}

static jlp_scan_report *scan_prepared(scan_input *in, scan_cfg *cfg, jlp_error *err) {
    if (!cfg->have_limits) jlp_limits_untrusted(&cfg->limits, in->len);
    return scan_input_bytes(in, &cfg->opts, &cfg->limits, err);
}

jlp_scan_report *jlp_scan(jlp_source *src, const jlp_scan_opts *opts, jlp_error *err) {
    jlp__clear(err);
    scan_cfg cfg;
    if (scan_cfg_init(&cfg, opts, err) != JLP_OK) return NULL;
    if (!src) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL source");
        return NULL;
    }
    if (src->layer) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "the source is already inside a compressed container");
        return NULL;
    }
    scan_input in;
    memset(&in, 0, sizeof in);
    in.alc = jlp__alc_or_default(cfg.opts.alc);
    in.path = src->path;
    int mapped = 0;
    if (jlp__src_is_mem(src)) {
        in.data = src->cur;
        in.len = jlp__src_avail(src);
        mapped = 1;
    } else if (src->fd >= 0 && src->size_hint) {
        off_t at = lseek(src->fd, 0, SEEK_CUR);
        uint64_t pulled = src->end_off, unread = jlp__src_avail(src);
        if (at >= 0 && (uint64_t)at >= pulled) {
            mapped = input_map(&in, src->fd, (uint64_t)at - pulled + (pulled - unread), err);
            if (mapped < 0) return NULL;
        }
    }
    if (!mapped) {
        jlp_limits cap = cfg.limits;
        if (!cfg.have_limits) jlp_limits_untrusted(&cap, 0);
        if (input_drain(&in, src, cap.max_decoded, err) != JLP_OK) {
            input_release(&in);
            return NULL;
        }
    }
    jlp_scan_report *r = scan_prepared(&in, &cfg, err);
    input_release(&in);
    return r;
}

jlp_scan_report *jlp_scan_path(const char *path, const jlp_scan_opts *opts, jlp_error *err) {
    jlp__clear(err);
    jlp_source *src = jlp_source_path(path, opts ? opts->alc : NULL, err);
    if (!src) return NULL;
    jlp_scan_report *r = jlp_scan(src, opts, err);
    jlp_source_free(src);
    return r;
}

jlp_scan_report *jlp_scan_mem(const void *data, size_t len, const jlp_scan_opts *opts, jlp_error *err) {
    jlp__clear(err);
    if (!data && len) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL data with nonzero length");
        return NULL;
    }
    scan_cfg cfg;
    if (scan_cfg_init(&cfg, opts, err) != JLP_OK) return NULL;
    scan_input in;
    memset(&in, 0, sizeof in);
    in.alc = jlp__alc_or_default(cfg.opts.alc);
    in.data = data ? data : (const void *)"";
    in.len = len;
    return scan_prepared(&in, &cfg, err);
}

const char *jlp_reading_name(jlp_reading r) {
    switch (r) {
    case JLP_READING_JOBLIB: return "joblib";
    case JLP_READING_JOBLIB_COMPAT: return "joblib-compat";
    case JLP_READING_PICKLE: return "pickle";
    case JLP_READING_PICKLE_PY: return "pickle-py";
    case JLP_READING_NUMPY: return "numpy";
    default: return "unknown";
    }
}
