/*
 * scan.c - jlp_scan(): get the input's bytes in one place (a mapping of a regular file,
 * the caller's memory, or a stream read into memory within the budgets), then run the
 * reader over them once per reading with rules.c judging its events, pickle after
 * pickle, and collect everything in a report.
 */
#include "scan.h"

#include "../common/opts.h"
#include "../io/source.h"
#include "../pickle/vm.h"

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
    const jlp_error *tail; /* why the bytes end early (a member cut at a budget), or NULL */
    const jlp_alc *alc;
    jlp__torch_zip *zip;   /* a checkpoint's pickle record: its archive, or NULL */
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

/* ---- decoding ----------------------------------------------------------------------- */

/* The decoded stream of the input: the input itself for a raw pickle, else every byte
 * the container gives before its end or an error (*tail says which, when there is
 * one), within the budgets. All readings then read the same bytes from memory, and
 * what Python never reaches (a damaged trailer after the pickle) stops none of them. */
typedef struct decoded {
    const uint8_t *data;
    size_t len;
    uint8_t *owned;
    size_t cap;
    char container[24];
    bool has_tail;
    jlp_error tail;
} decoded;

static jlp_code decode_input(jlp__scan *s, const scan_input *in, decoded *d, jlp_error *detect_err) {
    jlp_read_opts ro;
    jlp_read_opts_init(&ro);
    ro.limits = s->lim;
    ro.alc = s->alc;
    ro.registry = s->opts->registry;
    jlp_error e;
    jlp_source *src = jlp_source_mem(in->data, in->len, s->alc, &e);
    if (!src) return e.code;
    if (jlp__src_detect(src, &ro, detect_err) != JLP_OK) {
        jlp_source_free(src);
        return JLP_OK; /* the report's error */
    }
    const char *name = jlp__src_container(src);
    snprintf(d->container, sizeof d->container, "%s", name ? name : "none");
    if (!src->layer) {
        d->data = in->data;
        d->len = in->len;
        if (in->tail) {
            d->tail = *in->tail;
            d->has_tail = true;
        }
        jlp_source_free(src);
        return JLP_OK;
    }
    for (;;) {
        size_t avail = jlp__src_avail(src);
        if (!avail && !jlp__src_fill(src, 1)) break;
        avail = jlp__src_avail(src);
        if (d->len + avail > d->cap) {
            size_t cap = d->cap ? d->cap : (size_t)1 << 16;
            while (cap < d->len + avail) cap *= 2;
            uint8_t *nb = jlp__realloc(s->alc, d->owned, d->cap, cap);
            if (!nb) {
                jlp_source_free(src);
                return JLP_E_NOMEM;
            }
            d->owned = nb;
            d->cap = cap;
        }
        memcpy(d->owned + d->len, src->cur, avail);
        src->cur += avail;
        d->len += avail;
    }
    if (src->failed) {
        /* a stream cut with the member that holds it ends there for the member's reason */
        if (in->tail) d->tail = *in->tail;
        else jlp__src_error(src, &d->tail, d->len, -1);
        d->has_tail = true;
    }
    jlp_source_free(src);
    d->data = d->owned ? d->owned : (const uint8_t *)"";
    return JLP_OK;
}

/* ---- readings ------------------------------------------------------------------------ */

/* A reading that reads the bytes exactly as `from` does gets its findings, under its
 * own name (spec/SAFETY.md 3.2). */
static void copy_reading(jlp_scan_report *r, jlp_reading from, jlp_reading to) {
    size_t n = r->nfindings;
    for (size_t i = 0; i < n; i++) {
        jlp_finding f = r->findings[i];
        if (f.reading != from) continue;
        jlp__finding_in in = {f.verdict, to, f.offset, f.depth, f.pickle, f.nested_at, f.module, f.name,
                              f.module_len, f.name_len, f.action, f.opcode, f.reason, f.file};
        jlp__report_add(r, &in);
    }
    r->not_listed += r->not_listed_by[from];
    r->not_listed_by[to] += r->not_listed_by[from];
    r->readings |= 1u << to;
    r->reach[to] = r->reach[from];
    r->reach[to].copied = true;
}

/* numpy.load(allow_pickle=True) of a companion file (joblib <= 0.9): a .npy file, whose
 * object array is a pickle; a zip file, which loads lazily; anything else unpickled. */
static jlp_code read_companion(jlp__scan *s, const jlp__companion *comp, jlp_error *err) {
    jlp__reading_ctx c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.r = s->r;
    c.policy = s->policy;
    c.reading = JLP_READING_NUMPY;
    c.file = comp->name;
    c.pickle = comp->pickle;
    const char *n = comp->name;
    size_t nl = comp->name_len;
    jlp__buf why;
    jlp__buf_init(&why, s->alc);
    jlp_verdict v = JLP_VERDICT_SAFE;
    bool outside = !nl || memchr(n, '/', nl) || memchr(n, '\\', nl) || memchr(n, '\0', nl) ||
                   (nl == 2 && !memcmp(n, "..", 2)) || (nl == 1 && n[0] == '.');
    jlp_code rc = JLP_OK;
    if (outside) {
        v = JLP_VERDICT_DANGEROUS;
        jlp__buf_printf(&why, "joblib reads the companion file '%.*s' with numpy.load(allow_pickle=True), outside "
                              "the model's directory: whatever file that is gets unpickled",
                        (int)(nl > 100 ? 100 : nl), n);
    } else if (comp->zf) {
        /* ZNDArrayWrapper: raw array bytes in a ZF file, no pickle */
    } else if (!s->path || s->opts->no_companions) {
        v = JLP_VERDICT_SUSPICIOUS;
        jlp__buf_printf(&why, "joblib reads the companion file '%.*s' with numpy.load(allow_pickle=True); the scan %s",
                        (int)(nl > 100 ? 100 : nl), n,
                        s->path ? "was told not to open companion files" : "has no path to find it (scan the file by path)");
    } else {
        const char *slash = strrchr(s->path, '/');
        size_t dir = slash ? (size_t)(slash - s->path) + 1 : 0;
        char *path = jlp__malloc(s->alc, dir + nl + 1);
        if (!path) {
            jlp__buf_release(&why);
            return jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory");
        }
        memcpy(path, s->path, dir);
        memcpy(path + dir, n, nl);
        path[dir + nl] = 0;
        jlp_source *src = jlp_source_path(path, s->alc, NULL);
        jlp__free(s->alc, path, dir + nl + 1);
        if (src) {
            /* the whole file, within the budget */
            scan_input file;
            memset(&file, 0, sizeof file);
            file.alc = s->alc;
            jlp_error e;
            if (input_drain(&file, src, s->lim->max_decoded, &e) == JLP_OK) {
                bool npy = jlp_is_npy(file.data, file.len);
                bool zip = file.len >= 4 && !memcmp(file.data, "PK", 2) &&
                           ((file.data[2] == 3 && file.data[3] == 4) || (file.data[2] == 5 && file.data[3] == 6));
                if (!zip) {
                    jlp__reading_in rin = {JLP_READING_NUMPY, JLP__MODE_NUMPY, false, npy, file.data, file.len,
                                           comp->name, NULL, false};
                    rc = jlp__run_reading(s, &rin, err);
                }
            }
            input_release(&file);
            jlp_source_free(src);
        }
        /* a missing file: joblib.load fails there, nothing more runs */
    }
    if (v != JLP_VERDICT_SAFE) {
        jlp__reading_finding(&c, NULL, comp->offset, v, "", 0, n, nl, "companion", jlp__buf_cstr(&why));
        s->r->readings |= 1u << JLP_READING_NUMPY;
    }
    jlp__buf_release(&why);
    return rc;
}

static jlp_code run_readings(jlp__scan *s, const scan_input *in, jlp_error *err) {
    jlp_scan_report *r = s->r;
    if (jlp_is_npy(in->data, in->len)) {
        /* a .npy file: numpy.load's reading; pickle.load and joblib.load fail at its
         * first byte */
        snprintf(r->container, sizeof r->container, "npy");
        s->primary = JLP_READING_NUMPY;
        jlp__reading_in rin = {JLP_READING_NUMPY, JLP__MODE_NUMPY, true, true, in->data, in->len, NULL, NULL, false};
        return jlp__run_reading(s, &rin, err);
    }
    if (s->torch) {
        /* torch.load reads a checkpoint's record with its own unpickler, and nothing
         * else reads it */
        snprintf(r->container, sizeof r->container, "none");
        s->primary = JLP_READING_TORCH;
        jlp__reading_in rin = {JLP_READING_TORCH, JLP__MODE_PICKLE, true, false, in->data, in->len, NULL, in->tail,
                               false};
        return jlp__run_reading(s, &rin, err);
    }
    if (jlp__torch_legacy_magic(in->data, in->len)) {
        /* torch.save's legacy format: pickle.load and joblib.load read its first pickle,
         * an int; torch.load reads the magic number, version and system pickles, the
         * object with its own unpickler, the storage keys, then the storages as raw
         * bytes */
        snprintf(r->container, sizeof r->container, "torch-legacy");
        s->primary = JLP_READING_TORCH;
        jlp__reading_in rin = {JLP_READING_TORCH, JLP__MODE_PICKLE, true, false, in->data, in->len, NULL, in->tail,
                               true};
        return jlp__run_reading(s, &rin, err);
    }
    decoded d;
    memset(&d, 0, sizeof d);
    jlp_error detect_err;
    jlp__clear(&detect_err);
    jlp_code c = decode_input(s, in, &d, &detect_err);
    if (c) {
        jlp__free(s->alc, d.owned, d.cap);
        return jlp__fail(err, c, 0, -1, "out of memory decoding the input");
    }
    if (detect_err.code != JLP_OK) {
        r->failed = true;
        r->error = detect_err;
        return JLP_OK;
    }
    snprintf(r->container, sizeof r->container, "%s", d.container);
    bool zf = !strcmp(d.container, "zf");
    s->primary = zf ? JLP_READING_JOBLIB_COMPAT : JLP_READING_JOBLIB;
    const jlp_error *tail = d.has_tail ? &d.tail : NULL;
    jlp__reading_in prim = {s->primary, zf ? JLP__MODE_COMPAT : JLP__MODE_JOBLIB, true, false, d.data, d.len,
                            NULL, tail, false};
    c = jlp__run_reading(s, &prim, err);
    if (!c && !r->failed && tail) {
        /* the pickles were read, but the container is damaged after them */
        r->failed = true;
        r->error = *tail;
    }
    /* pickle._Unpickler reads the bytes as the primary does unless a payload intervened
     * (or joblib failed to read one: the primary stopped there, the others go on) */
    if (!c && (s->saw_payload || r->failed)) {
        jlp__reading_in py = {JLP_READING_PICKLE_PY, JLP__MODE_PICKLE_PY, false, false, d.data, d.len, NULL, tail, false};
        c = jlp__run_reading(s, &py, err);
    } else if (!c) {
        copy_reading(r, s->primary, JLP_READING_PICKLE_PY);
    }
    /* pickle.load (_pickle.c) reads them as pickle._Unpickler does unless the two
     * unpicklers differ on some opcode */
    if (!c && s->differs) {
        jlp__reading_in cr = {JLP_READING_PICKLE, JLP__MODE_PICKLE, false, false, d.data, d.len, NULL, tail, false};
        c = jlp__run_reading(s, &cr, err);
    } else if (!c) {
        copy_reading(r, JLP_READING_PICKLE_PY, JLP_READING_PICKLE);
    }
    for (size_t i = 0; !c && i < s->ncomps; i++) c = read_companion(s, &s->comps[i], err);
    jlp__free(s->alc, d.owned, d.cap);
    return c;
}

jlp_verdict jlp__scan_torch_bytes(jlp__scan *parent, const uint8_t *data, size_t len, jlp__buf *why,
                                  jlp__torch_storage *st) {
    if (st) *st = (jlp__torch_storage){NULL, 0, 0, NULL, 0, NULL};
    jlp_scan_report *r = jlp__report_new(parent->alc, parent->opts->max_per_subject);
    if (!r) {
        jlp__buf_puts(why, "out of memory for the scan of the bytes it loads");
        return JLP_VERDICT_DANGEROUS;
    }
    jlp__scan s;
    memset(&s, 0, sizeof s);
    s.r = r;
    s.policy = parent->policy;
    s.opts = parent->opts;
    s.lim = parent->lim;
    s.alc = parent->alc;
    s.actions.alc = s.alc;
    s.primary = JLP_READING_TORCH;
    s.primary_stop = UINT64_MAX;
    s.nest = parent->nest + 1;
    /* the scans nested in this one draw on what the parent has left */
    s.nested_budget = parent->nested_budget - parent->nested_bytes;
    jlp__reading_in rin = {JLP_READING_TORCH, JLP__MODE_PICKLE, true, false, data, len, NULL, NULL, true};
    jlp_error e;
    jlp__clear(&e);
    jlp_code c = jlp__run_reading(&s, &rin, &e);
    jlp_verdict v = r->verdict;
    if (c != JLP_OK || r->nomem || s.nomem) {
        v = JLP_VERDICT_DANGEROUS;
        jlp__buf_puts(why, "out of memory for the scan of the bytes it loads");
    } else {
        const jlp_finding *worst = NULL;
        for (size_t i = 0; i < r->nfindings; i++)
            if (!worst || r->findings[i].verdict > worst->verdict) worst = &r->findings[i];
        if (worst && worst->verdict > JLP_VERDICT_SAFE) {
            jlp__buf_printf(why, "the torch.save bytes it loads: byte %llu: %.*s%s%.*s (%s): %s",
                            (unsigned long long)worst->offset, (int)(worst->module_len > 100 ? 100 : worst->module_len),
                            worst->module, worst->module_len ? "." : "",
                            (int)(worst->name_len > 100 ? 100 : worst->name_len), worst->name, worst->action,
                            worst->reason);
        }
    }
    parent->nested_bytes += s.nested_bytes;
    if (st && c == JLP_OK) *st = s.storage;
    jlp__keyset_free(&s.actions);
    jlp__free(s.alc, s.ranges, s.rcap * sizeof *s.ranges);
    jlp_report_free(r);
    return v;
}

/* ---- entry points -------------------------------------------------------------------- */

static jlp_scan_report *scan_input_bytes(scan_input *in, const jlp_scan_opts *o, const jlp_limits *lim,
                                         jlp_error *err) {
    jlp_scan_report *r = jlp__report_new(o->alc, o->max_per_subject);
    if (!r) {
        jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate a report");
        return NULL;
    }
    jlp__scan s;
    memset(&s, 0, sizeof s);
    s.r = r;
    s.policy = o->policy;
    s.opts = o;
    s.lim = lim;
    s.alc = jlp__alc_or_default(o->alc);
    s.actions.alc = s.alc;
    s.path = in->path;
    s.torch = o->torch_record != 0;
    s.zip = s.torch ? in->zip : NULL;
    jlp__torch_zip *own = NULL;
    if (s.torch && !s.zip && o->torch_archive) {
        /* a record taken out of its checkpoint: the caller lends the checkpoint */
        own = s.zip = jlp__torch_zip_new(o->torch_archive, o, lim);
        if (!own) {
            jlp_report_free(r);
            jlp__fail(err, JLP_E_NOMEM, 0, -1, "cannot allocate the checkpoint's storages");
            return NULL;
        }
    }
    s.primary_stop = UINT64_MAX;
    jlp_code c = run_readings(&s, in, err);
    jlp__torch_zip_free(own);
    if (c == JLP_OK && (r->nomem || s.nomem)) c = jlp__fail(err, JLP_E_NOMEM, 0, -1, "out of memory for the findings");
    jlp__keyset_free(&s.actions);
    jlp__free(s.alc, s.ranges, s.rcap * sizeof *s.ranges);
    for (size_t i = 0; i < s.ncomps; i++) jlp__free(s.alc, s.comps[i].name, s.comps[i].name_len + 1);
    jlp__free(s.alc, s.comps, s.ccap * sizeof *s.comps);
    if (c != JLP_OK) {
        jlp_report_free(r);
        return NULL;
    }
    return r;
}

jlp_scan_report *jlp__scan_bytes(const uint8_t *data, size_t len, const jlp_error *tail, const jlp_scan_opts *o,
                                 const jlp_limits *lim, jlp__torch_zip *zip, jlp_error *err) {
    if (!o->torch_record && jlp_archive_detect(data, len, NULL)) return jlp__scan_archive(data, len, o, lim, err);
    scan_input in;
    memset(&in, 0, sizeof in);
    in.alc = jlp__alc_or_default(o->alc);
    in.data = data;
    in.len = len;
    in.tail = tail;
    in.zip = zip;
    return scan_input_bytes(&in, o, lim, err);
}

static jlp_scan_report *scan_prepared(scan_input *in, scan_cfg *cfg, jlp_error *err) {
    if (!cfg->have_limits) jlp_limits_untrusted(&cfg->limits, in->len);
    /* an archive: its members, each as a file of its own (members.c) */
    if (!cfg->opts.torch_record && jlp_archive_detect(in->data, in->len, NULL))
        return jlp__scan_archive(in->data, in->len, &cfg->opts, &cfg->limits, err);
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

jlp_scan_report *jlp_scan_archive_member(jlp_archive *ar, size_t i, uint64_t packed, const jlp_scan_opts *opts,
                                         jlp_error *err) {
    jlp__clear(err);
    scan_cfg cfg;
    if (scan_cfg_init(&cfg, opts, err) != JLP_OK) return NULL;
    if (!ar) {
        jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "NULL archive");
        return NULL;
    }
    if (!cfg.have_limits) jlp_limits_untrusted(&cfg.limits, packed);
    return jlp__scan_member(ar, i, packed, &cfg.opts, &cfg.limits, err);
}

void jlp_scan_archive_opts(jlp_archive_opts *ao, const jlp_limits *lim) {
    if (!ao || !lim) return;
    jlp_limits l;
    jlp_error e;
    jlp_limits_init(&l);
    if (jlp__struct_in(&l, sizeof l, lim, "jlp_limits", &e) != JLP_OK) return;
    jlp__scan_archive_opts(ao, &l);
}

uint64_t jlp_scan_member_budget(jlp_archive *ar, size_t i, uint64_t packed, const jlp_limits *lim) {
    if (!ar || !lim) return 0;
    jlp_limits l;
    jlp_error e;
    jlp_limits_init(&l);
    if (jlp__struct_in(&l, sizeof l, lim, "jlp_limits", &e) != JLP_OK) return 0;
    return jlp__scan_member_budget(ar, i, packed, &l);
}

const char *jlp_reading_name(jlp_reading r) {
    switch (r) {
    case JLP_READING_JOBLIB: return "joblib";
    case JLP_READING_JOBLIB_COMPAT: return "joblib-compat";
    case JLP_READING_PICKLE: return "pickle";
    case JLP_READING_PICKLE_PY: return "pickle-py";
    case JLP_READING_NUMPY: return "numpy";
    case JLP_READING_TORCH: return "torch";
    default: return "unknown";
    }
}
