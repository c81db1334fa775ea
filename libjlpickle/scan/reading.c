/*
 * reading.c - one reading of the scan: the library's reader run over the decoded bytes
 * in the rules of one Python loader (pickle/vm.h, jlp__mode), pickle after pickle, its
 * events judged by rules.c; and the set of effects the primary reading had, against
 * which the other readings are compared.
 */
#include "scan.h"

#include "../common/opcodes.h"
#include "../pickle/vm.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- key sets ------------------------------------------------------------------------- */

static size_t slot_of(uint64_t key, size_t cap) { return (size_t)key & (cap - 1); }

bool jlp__keyset_add(jlp__keyset *s, uint64_t key) {
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *ns = jlp__malloc(s->alc, cap * sizeof *ns);
        if (!ns) return false;
        memset(ns, 0, cap * sizeof *ns);
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slots[i]) continue;
            size_t j = slot_of(s->slots[i], cap);
            while (ns[j]) j = (j + 1) & (cap - 1);
            ns[j] = s->slots[i];
        }
        jlp__free(s->alc, s->slots, s->cap * sizeof *s->slots);
        s->slots = ns;
        s->cap = cap;
    }
    size_t j = slot_of(key, s->cap);
    while (s->slots[j] && s->slots[j] != key) j = (j + 1) & (s->cap - 1);
    if (!s->slots[j]) {
        s->slots[j] = key;
        s->n++;
    }
    return true;
}

bool jlp__keyset_has(const jlp__keyset *s, uint64_t key) {
    if (!s->cap) return false;
    for (size_t j = slot_of(key, s->cap); s->slots[j]; j = (j + 1) & (s->cap - 1))
        if (s->slots[j] == key) return true;
    return false;
}

void jlp__keyset_free(jlp__keyset *s) {
    jlp__free(s->alc, s->slots, s->cap * sizeof *s->slots);
    memset(s, 0, sizeof *s);
}

/* ---- hooks ---------------------------------------------------------------------------- */

static int on_trace(void *ctx, const jlp_event *ev) {
    jlp__rules_event(ctx, ev);
    return 0;
}

static void on_differs(void *ctx, uint64_t offset, int depth, const char *what) {
    (void)offset;
    (void)what;
    jlp__reading_ctx *c = ctx;
    if (c->s && depth == 0) c->s->differs = true;
}

static void on_build(void *ctx, uint64_t offset, int depth, const jlp_val *target, const jlp_val *state) {
    jlp__rules_build(ctx, offset, depth, target, state);
}

static void add_range(jlp__scan *s, uint64_t start, uint64_t end, bool nested) {
    if (s->nranges == s->rcap) {
        size_t cap = s->rcap ? s->rcap * 2 : 16;
        jlp__range *nr = jlp__realloc(s->alc, s->ranges, s->rcap * sizeof *nr, cap * sizeof *nr);
        if (!nr) {
            s->nomem = true;
            return;
        }
        s->ranges = nr;
        s->rcap = cap;
    }
    s->ranges[s->nranges++] = (jlp__range){start, end, nested};
}

static void add_companion(jlp__reading_ctx *c, const jlp__wrapper_event *w) {
    jlp__scan *s = c->s;
    size_t n;
    const char *name = jlp_get_str(jlp_dict_get(w->attrs, "filename"), &n);
    if (!name) return; /* os.path.join fails on anything but a str: nothing is read */
    if (s->ncomps == s->ccap) {
        size_t cap = s->ccap ? s->ccap * 2 : 8;
        jlp__companion *nc = jlp__realloc(s->alc, s->comps, s->ccap * sizeof *nc, cap * sizeof *nc);
        if (!nc) {
            s->nomem = true;
            return;
        }
        s->comps = nc;
        s->ccap = cap;
    }
    char *copy = jlp__malloc(s->alc, n + 1);
    if (!copy) {
        s->nomem = true;
        return;
    }
    memcpy(copy, name, n);
    copy[n] = 0;
    s->comps[s->ncomps++] = (jlp__companion){copy, n, w->offset, c->pickle, w->kind == 3};
}

static void on_wrapper(void *ctx, const jlp__wrapper_event *w) {
    jlp__reading_ctx *c = ctx;
    jlp__rules_wrapper(c, w->offset, w->depth, w->kind, w->attrs);
    if (!c->primary || !c->s) return;
    if (w->kind == 1) c->s->saw_payload = true;
    if (w->kind == 1 && w->data_end > w->data_start) add_range(c->s, w->data_start, w->data_end, w->nested);
    if (w->kind != 1) add_companion(c, w);
}

/* ---- one reading ---------------------------------------------------------------------- */

/* Is the failure one of the container rather than of the pickle bytes? */
static bool container_error(const jlp_error *e) {
    return e->input_offset != UINT64_MAX && e->input_offset != e->offset;
}

/* A budget stopped the reading: what follows was not judged. */
static void limit_finding(jlp__reading_ctx *c, const jlp_error *e) {
    c->subj.len = 0;
    jlp__buf_printf(&c->subj, "%s; what follows was not judged (a larger budget reads on)", e->msg);
    jlp__reading_finding(c, NULL, e->offset, JLP_VERDICT_SUSPICIOUS, "", 0, "", 0, "limit", jlp__buf_cstr(&c->subj));
}

/* Names met while sweeping past a budget stop (a bound on the findings it adds). */
#define SWEEP_NAMES_MAX 4096

/* Judge the name module.qualname met by the sweep (after a budget stop, or after an
 * error of the reader when `after_error`). */
static void sweep_name(jlp__reading_ctx *c, uint64_t at, const char *op, const uint8_t *m, size_t ml,
                       const uint8_t *n, size_t nl, bool after_error) {
    c->why.len = 0;
    jlp_verdict v = jlp__judge(c->policy, (const char *)m, ml, (const char *)n, nl, &c->why);
    c->subj.len = 0;
    jlp__buf_printf(&c->subj, after_error ? "named after the point where this reading stopped with an error, which "
                                            "Python's loader may read past (read as opcodes only, the stack not "
                                            "followed): "
                                          : "named after a budget stop (read as opcodes only, the stack not followed): ");
    jlp__buf_put(&c->subj, c->why.data, c->why.len);
    jlp__finding_in f = {.verdict = v, .reading = c->reading, .offset = at, .depth = 0, .pickle = c->pickle,
                         .nested_at = UINT64_MAX, .module = (const char *)m, .name = (const char *)n, .ml = ml,
                         .nl = nl, .action = "global", .opcode = op, .reason = jlp__buf_cstr(&c->subj),
                         .file = c->file};
    jlp__report_add(c->r, &f);
}

/* Python does not stop where a budget stops the reader: it goes on to what follows (a
 * million MARKs, then os.system). Walk the rest of the pickle as opcodes with the
 * library's opcode table, without values or stack, up to its STOP, an invalid opcode or
 * the end, and judge every name a GLOBAL or INST names and every STACK_GLOBAL whose two
 * operands are the strings just before it; one whose operands are not is suspicious.
 * Linear in the bytes, and only after a budget stop. */
static void sweep_after_limit(jlp__reading_ctx *c, const uint8_t *p, size_t len, uint64_t from, bool after_error) {
    size_t i = (size_t)from, names = 0;
    /* the last two string operands (offset and length into p), for STACK_GLOBAL */
    size_t str_at[2] = {0, 0}, str_len[2] = {0, 0};
    int strs = 0;
    while (i < len && names < SWEEP_NAMES_MAX) {
        size_t at = i;
        int op = p[i++];
        const jlp_opcode_desc *d = jlp_opcode_info(op);
        if (!d || op == JLP_OP_STOP) return;
        size_t arg = i, arglen = 0, skip = 0;
        uint64_t n = 0;
        const uint8_t *nl1 = NULL, *nl2 = NULL;
        switch (d->arg) {
        case JLP_ARG_NONE: break;
        case JLP_ARG_U1: skip = 1; break;
        case JLP_ARG_U2: skip = 2; break;
        case JLP_ARG_I4: case JLP_ARG_U4: skip = 4; break;
        case JLP_ARG_U8: case JLP_ARG_F8: skip = 8; break;
        case JLP_ARG_LINE:
            nl1 = memchr(p + i, '\n', len - i);
            if (!nl1) return;
            arglen = (size_t)(nl1 - (p + i));
            skip = arglen + 1;
            break;
        case JLP_ARG_LINE2:
            nl1 = memchr(p + i, '\n', len - i);
            if (!nl1) return;
            nl2 = memchr(nl1 + 1, '\n', len - (size_t)(nl1 + 1 - p));
            if (!nl2) return;
            skip = (size_t)(nl2 + 1 - (p + i));
            break;
        case JLP_ARG_LEN1: case JLP_ARG_LEN4: case JLP_ARG_SLEN4: case JLP_ARG_LEN8: {
            size_t w = d->arg == JLP_ARG_LEN1 ? 1 : d->arg == JLP_ARG_LEN8 ? 8 : 4;
            if (len - i < w) return;
            for (size_t k = 0; k < w; k++) n |= (uint64_t)p[i + k] << (8 * k);
            if (d->arg == JLP_ARG_SLEN4 && n > INT32_MAX) return;
            if (n > len - i - w) return;
            arg = i + w;
            arglen = (size_t)n;
            skip = w + (size_t)n;
            break;
        }
        default: return;
        }
        if (skip > len - i) return;
        i += skip;
        if (after_error && at == from) {
            /* the opcode the reader refused: its own reading of it is the modelled one */
        } else if (op == JLP_OP_GLOBAL || op == JLP_OP_INST) {
            const uint8_t *mod = p + arg;
            sweep_name(c, at, d->name, mod, (size_t)(nl1 - mod), nl1 + 1, (size_t)(nl2 - (nl1 + 1)), after_error);
            names++;
        } else if (op == JLP_OP_STACK_GLOBAL) {
            if (strs == 2) {
                sweep_name(c, at, d->name, p + str_at[0], str_len[0], p + str_at[1], str_len[1], after_error);
            } else {
                jlp__finding_in f = {.verdict = JLP_VERDICT_SUSPICIOUS, .reading = c->reading, .offset = at,
                                     .pickle = c->pickle, .nested_at = UINT64_MAX, .module = "", .name = "",
                                     .action = "global", .opcode = d->name, .file = c->file,
                                     .reason = after_error ? "a STACK_GLOBAL after the point where this reading "
                                                             "stopped with an error whose name is not known without "
                                                             "following the stack"
                                                           : "a STACK_GLOBAL after a budget stop whose name is not known "
                                                             "without following the stack"};
                jlp__report_add(c->r, &f);
            }
            names++;
        }
        bool is_str = op == JLP_OP_SHORT_BINUNICODE || op == JLP_OP_BINUNICODE || op == JLP_OP_BINUNICODE8 ||
                      op == JLP_OP_SHORT_BINSTRING || op == JLP_OP_BINSTRING || op == JLP_OP_UNICODE;
        bool neutral = op == JLP_OP_MEMOIZE || op == JLP_OP_PUT || op == JLP_OP_BINPUT ||
                       op == JLP_OP_LONG_BINPUT || op == JLP_OP_FRAME;
        if (is_str) {
            str_at[0] = str_at[1];
            str_len[0] = str_len[1];
            str_at[1] = arg;
            str_len[1] = arglen;
            strs = strs < 2 ? strs + 1 : 2;
        } else if (!neutral) {
            strs = 0;
        }
    }
}

/* What one more pickle of the input costs beyond its opcodes, in opcodes: a document
 * made and freed and the rules settled, about as long as a few dozen opcodes take. The
 * opcode budget holds for a reading as a whole, so a stream of millions of four-byte
 * pickles is no way around it. */
#define PICKLE_COST_OPS 64

static void ops_spent_msg(jlp_error *e, uint64_t max_ops) {
    snprintf(e->msg, sizeof e->msg, "more than limits.max_ops (%llu) opcodes in the pickles of the input",
             (unsigned long long)max_ops);
}

/* ---- a legacy torch file's storages --------------------------------------------------- */

static int key_cmp(const void *a, const void *b) {
    const struct jlp__storage_key *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->key, y->key, n);
    if (r) return r;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The first storage record of key k, or NULL when none has it. */
static struct jlp__storage_key *key_first(jlp__reading_ctx *c, const char *k, size_t kl) {
    size_t lo = 0, hi = c->nkeys;
    struct jlp__storage_key probe = {(char *)(uintptr_t)k, kl, 0, 0, NULL, 0, NULL, 0};
    while (lo < hi) { /* the first entry not below (k, order 0) */
        size_t mid = lo + (hi - lo) / 2;
        if (key_cmp(&c->keys[mid], &probe) < 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo < c->nkeys && c->keys[lo].len == kl && !memcmp(c->keys[lo].key, k, kl)) return &c->keys[lo];
    return NULL;
}

/* torch.load of a legacy file reads, after its fifth pickle (the list of storage keys),
 * each key's storage as raw bytes: an 8-byte little-endian element count, then that
 * many elements of the size its record in pickle 4 gave. Take them from src.
 * @return NULL, or why they do not fit (torch.load fails there). */
static int on_trace_sparse(void *ctx, const jlp_event *ev) {
    jlp__rules_legacy_sparse(ctx, ev);
    return 0;
}

/* Read pickle 4 of a legacy torch file again, from `start`, its storages known: the
 * sparse tensors it rebuilds are judged now (torch.load reads their storages after the
 * pickles too). */
static void legacy_sparse_again(jlp__reading_ctx *c, const jlp__reading_in *in, const jlp__load_how *how0,
                                uint64_t start) {
    jlp_read_opts ro;
    jlp_read_opts_init(&ro);
    jlp_limits lim = *c->s->lim;
    ro.limits = &lim;
    ro.alc = c->s->alc;
    ro.registry = c->s->opts->registry;
    ro.trace = on_trace_sparse;
    ro.trace_ctx = c;
    jlp__load_how how = {NULL, NULL, how0->mode, NULL};
    jlp_error e;
    jlp_source *src = jlp_source_mem(in->data, in->len, c->s->alc, &e);
    if (!src) {
        c->s->nomem = true;
        return;
    }
    src->detected = true;
    if (!jlp__src_take(src, (size_t)start)) { /* offsets of the whole stream */
        jlp_source_free(src);
        return;
    }
    c->legacy_again = true;
    c->zst_next = 0;
    unsigned keep = c->pickle;
    c->pickle = 4;
    jlp_doc *doc = jlp__load_resolved(src, &ro, &how, &e);
    c->pickle = keep;
    c->legacy_again = false;
    jlp_doc_free(doc);
    jlp_source_free(src);
}

static const char *take_legacy_storages(jlp__reading_ctx *c, jlp_source *src, const jlp_val *keys) {
    if (jlp_get_type(keys) != JLP_LIST) return "pickle 5 is not the list of storage keys";
    if (c->nkeys > 1) qsort(c->keys, c->nkeys, sizeof *c->keys, key_cmp);
    for (size_t i = 0; i < jlp_len(keys); i++) {
        size_t kl;
        const jlp_val *key = jlp_item(keys, i);
        const char *k = jlp_get_type(key) == JLP_STR ? jlp_get_str(key, &kl) : NULL;
        struct jlp__storage_key *first = k ? key_first(c, k, kl) : NULL;
        unsigned esize = first ? first->esize : 0;
        if (!esize) return "a storage key no storage record of pickle 4 has";
        const uint8_t *h = jlp__src_take(src, 8);
        if (!h) return "a storage's element count runs past the end";
        uint64_t numel = jlp__le64(h), nbytes;
        const uint8_t *elems = NULL;
        if (numel > INT64_MAX || !jlp__mul_u64(numel, esize, &nbytes) || nbytes > jlp__src_avail(src) ||
            !(elems = jlp__src_take(src, (size_t)nbytes)))
            return "a storage runs past the end";
        /* what the key's storage holds (read again for a key listed twice: the last) */
        first->data = elems;
        first->count = numel;
        if (c->primary && c->obj_key && c->nkeys == 1 && kl == c->obj_klen && !memcmp(k, c->obj_key, kl)) {
            /* the file's object is this storage (the last read of a key is what it holds);
             * a count other than its record's is torch.load's error: no storage then */
            c->s->storage = (jlp__torch_storage){NULL, 0, 0, NULL, 0, NULL};
            if (numel == c->obj_numel)
                c->s->storage =
                    (jlp__torch_storage){elems, numel, esize, c->obj_type, (uint64_t)(elems - c->data), NULL};
        }
    }
    return NULL;
}

/* Pickle 4 of a legacy torch file: when it is one storage record (not a view of another),
 * remember its key, type and element count to find its elements after pickle 5. */
static void legacy_object(jlp__reading_ctx *c, const jlp_val *root) {
    const jlp_val *id = jlp_get_type(root) == JLP_PERSID ? jlp_persid_value(root) : NULL;
    const char *type = jlp__torch_storage_type(id);
    size_t kl;
    const char *k = type ? jlp_get_str(jlp_item(id, 2), &kl) : NULL;
    const jlp_val *view = jlp_item(id, 5);
    if (!k || (view && jlp_get_type(view) != JLP_NONE) || jlp_get_int(jlp_item(id, 4)) < 0) return;
    c->obj_key = malloc(kl + 1);
    if (!c->obj_key) return;
    memcpy(c->obj_key, k, kl);
    c->obj_klen = kl;
    c->obj_type = type;
    c->obj_numel = (uint64_t)jlp_get_int(jlp_item(id, 4));
}

jlp_code jlp__run_reading(jlp__scan *s, const jlp__reading_in *in, jlp_error *err) {
    jlp__reading_ctx c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.r = s->r;
    c.policy = s->policy;
    c.reading = in->reading;
    c.primary = in->primary;
    c.file = in->file;
    c.torch_legacy = in->torch_legacy;
    c.data = in->data;
    c.len = in->len;
    jlp__buf_init(&c.why, s->alc);
    jlp__buf_init(&c.subj, s->alc);
    jlp__scan_hooks hooks = {&c, on_differs, on_wrapper, on_build};
    jlp_read_opts ro;
    jlp_read_opts_init(&ro);
    jlp_limits lim = *s->lim; /* max_ops counts down over the pickles of the reading */
    ro.limits = &lim;
    ro.alc = s->alc;
    ro.registry = s->opts->registry;
    ro.trace = on_trace;
    ro.trace_ctx = &c;
    if (in->npy) ro.flags |= JLP_READ_NPY_PICKLE;
    jlp__load_how how = {in->npy ? jlp__npy_body : NULL, in->npy ? "npy" : NULL, in->mode, &hooks};
    jlp_code result = JLP_OK;
    jlp_source *src = jlp_source_mem(in->data, in->len, s->alc, err);
    if (!src) {
        result = err ? err->code : JLP_E_NOMEM;
        goto out;
    }
    src->detected = true; /* the bytes are the decoded stream */
    if (in->primary) s->primary_stop = UINT64_MAX;
    bool clean_end = false; /* the last pickle ended where the decoded bytes end */
    /* where and why the reading stops (jlp_report_reach) */
    jlp_code stop_code = JLP_OK;
    uint64_t stop_at = in->len;
    unsigned read_whole = 0;
    /* torch.load of the bytes a pickle carries (_load_from_bytes) may scan each byte of
     * the stream a few times over (once per reading), never more */
    if (s->nest == 0 && s->nested_budget < 4 * (uint64_t)in->len + ((uint64_t)1 << 20))
        s->nested_budget = 4 * (uint64_t)in->len + ((uint64_t)1 << 20);
    uint64_t p4_start = 0;
    for (c.pickle = 1;; c.pickle++) {
        uint64_t start = jlp_source_tell(src);
        if (c.pickle == 4) p4_start = start;
        jlp_error e;
        jlp__clear(&e);
        jlp_doc *doc = jlp__load_resolved(src, &ro, &how, &e);
        jlp__rules_settle(&c);
        if (!doc) {
            if ((e.code == JLP_E_TRUNCATED || e.code == JLP_E_FRAME) && in->tail_error) {
                /* the decoded stream is short because the container failed there (a
                 * budget, a damaged stream): that is why this reading stopped */
                uint64_t at = e.offset;
                e = *in->tail_error;
                e.offset = at;
            }
            if (e.code == JLP_E_LIMIT && lim.max_ops != s->lim->max_ops && strstr(e.msg, "limits.max_ops"))
                ops_spent_msg(&e, s->lim->max_ops); /* the budget of the whole reading */
            stop_code = e.code;
            stop_at = e.offset;
            if (e.code == JLP_E_LIMIT) {
                limit_finding(&c, &e);
                if (e.offset < in->len) sweep_after_limit(&c, in->data, in->len, e.offset, false);
            } else if ((c.pickle == 1 || container_error(&e)) && e.offset < in->len) {
                /* the reader refused what Python may take (a state numpy accepts, an
                 * argument list pickle.py takes) and stopped: what follows is judged by
                 * name, so a refusal hides no os.system (S-3) */
                sweep_after_limit(&c, in->data, in->len, e.offset, true);
            }
            if (c.pickle == 1 || container_error(&e)) {
                if (in->primary) {
                    s->primary_stop = e.offset;
                    if (!s->r->failed) {
                        s->r->failed = true;
                        s->r->error = e;
                    }
                }
            } else if (!in->npy && in->primary && e.code != JLP_E_LIMIT) {
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
        uint64_t used = doc->ops + PICKLE_COST_OPS;
        if (in->torch_legacy && in->primary && c.pickle == 4) legacy_object(&c, jlp_doc_root(doc));
        /* a STOP inside a frame: pickle.py's next load starts at the frame's end (S-6) */
        uint64_t frame_rest = doc->frame_rest;
        const char *bad = in->torch_legacy && c.pickle == 5 ? take_legacy_storages(&c, src, jlp_doc_root(doc)) : NULL;
        jlp_doc_free(doc);
        if (in->torch_legacy && c.pickle == 5 && !bad && c.legacy_sparse) legacy_sparse_again(&c, in, &how, p4_start);
        if (in->primary) s->r->pickles++;
        read_whole++;
        if (bad) {
            stop_code = JLP_E_TRAILING;
            stop_at = jlp_source_tell(src);
            /* torch.load fails here; what follows is not the format's */
            c.why.len = 0;
            jlp__buf_printf(&c.why, "the storages after pickle 5 of a legacy torch file do not fit (%s): the bytes "
                            "from here were not judged", bad);
            jlp__reading_finding(&c, NULL, jlp_source_tell(src), JLP_VERDICT_SUSPICIOUS, "", 0, "", 0, "trailing",
                                 jlp__buf_cstr(&c.why));
            break;
        }
        if (frame_rest) {
            size_t avail = jlp__src_avail(src);
            jlp__src_take(src, frame_rest < avail ? (size_t)frame_rest : avail);
        }
        if (in->npy) { /* a .npy file holds one array */
            stop_at = jlp_source_tell(src);
            break;
        }
        if (!jlp__src_avail(src)) {
            clean_end = true;
            break;
        }
        if (lim.max_ops && used >= lim.max_ops) {
            /* the budget is spent on the pickles before: the next one is not read */
            jlp_error spent;
            jlp__clear(&spent);
            spent.code = JLP_E_LIMIT;
            spent.offset = jlp_source_tell(src);
            spent.input_offset = UINT64_MAX;
            ops_spent_msg(&spent, s->lim->max_ops);
            stop_code = JLP_E_LIMIT;
            stop_at = spent.offset;
            limit_finding(&c, &spent);
            if (spent.offset < in->len) sweep_after_limit(&c, in->data, in->len, spent.offset, false);
            break;
        }
        if (lim.max_ops) lim.max_ops -= used;
    }
    if (clean_end && in->tail_error && in->tail_error->code == JLP_E_LIMIT) {
        /* every pickle read ended where a decoding budget cut the stream: what it cut off
         * was not judged */
        jlp_error e = *in->tail_error;
        e.offset = in->len;
        stop_code = JLP_E_LIMIT;
        limit_finding(&c, &e);
    }
    if (!in->file) {
        /* the input's own stream (a companion file's reading is not recorded) */
        struct jlp__reach *rr = &s->r->reach[in->reading];
        rr->known = true;
        rr->copied = false;
        rr->same_as = in->reading;
        rr->code = stop_code;
        rr->offset = stop_at;
        rr->len = in->len;
        rr->pickles = read_whole;
    }
out:
    jlp_source_free(src);
    jlp__rules_settle(&c);
    jlp__buf_release(&c.why);
    jlp__buf_release(&c.subj);
    free(c.pend);
    for (size_t i = 0; i < c.nkeys; i++) free(c.keys[i].key);
    free(c.keys);
    free(c.obj_key);
    s->r->readings |= 1u << in->reading;
    return result;
}
