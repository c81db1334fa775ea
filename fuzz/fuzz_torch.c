/*
 * fuzz_torch.c - libFuzzer target: PyTorch checkpoint loading (the persistent ids,
 * storages and tensor rebuilds of archive/torch.c) behind a well-formed zip, so the
 * fuzzer spends its time on data.pkl and the storages rather than on the zip layer
 * (fuzz_archive's).
 *
 * Input: one flags byte (bits 0-3: the number of storages, 0..15; bit 4: a `byteorder`
 * record "big"; bit 5: the records under "archive/" instead of "ck/"), then for each
 * storage a 16-bit little-endian length and that many bytes (member `<prefix>/data/<k>`,
 * k = 0, 1, ...), then the bytes of `<prefix>/data.pkl`. The harness writes the zip
 * (stored members, as torch.save does) and loads it.
 *
 * Properties (abort on failure):
 *   - jlp_load_mem with and without mmap, and jlp_load_archive of the opened archive,
 *     agree: success and JSON export, or error code (storages are CRC-checked when
 *     mapped too, so both see the same bytes);
 *   - every array of a successful load is readable to its last byte; a mapped array of
 *     a checkpoint lies inside the input zip;
 *   - every allocation is returned.
 */
#define FZ_TARGET "fuzz_torch"
#include "fuzz_common.h"

typedef struct zbuf {
    uint8_t *p;
    size_t n, cap;
} zbuf;

static void put(zbuf *b, const void *p, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 256;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
}
static void u16(zbuf *b, unsigned v) { uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)}; put(b, x, 2); }
static void u32(zbuf *b, uint32_t v) { uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)}; put(b, x, 4); }

static uint32_t crc32_of(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

typedef struct rec {
    char name[32];
    const uint8_t *data;
    size_t len;
    size_t lho;
    uint32_t crc;
} rec;

/* A zip of stored members, each data start padded to 64 bytes as torch.save does. */
static zbuf write_zip(rec *r, size_t n) {
    zbuf b = {NULL, 0, 0};
    for (size_t i = 0; i < n; i++) {
        size_t nlen = strlen(r[i].name);
        size_t pad = (64 - (b.n + 30 + nlen + 4) % 64) % 64;
        r[i].lho = b.n;
        r[i].crc = crc32_of(r[i].data, r[i].len);
        u32(&b, 0x04034b50);
        u16(&b, 20);
        u16(&b, 0);
        u16(&b, 0);
        u16(&b, 0);
        u16(&b, 0x21);
        u32(&b, r[i].crc);
        u32(&b, (uint32_t)r[i].len);
        u32(&b, (uint32_t)r[i].len);
        u16(&b, (unsigned)nlen);
        u16(&b, (unsigned)(pad + 4));
        put(&b, r[i].name, nlen);
        u16(&b, 0x4246); /* "FB": torch's padding record */
        u16(&b, (unsigned)pad);
        for (size_t k = 0; k < pad; k++) put(&b, "Z", 1);
        put(&b, r[i].data, r[i].len);
    }
    size_t cd = b.n;
    for (size_t i = 0; i < n; i++) {
        size_t nlen = strlen(r[i].name);
        u32(&b, 0x02014b50);
        u16(&b, 0);
        u16(&b, 20);
        u16(&b, 0);
        u16(&b, 0);
        u16(&b, 0);
        u16(&b, 0x21);
        u32(&b, r[i].crc);
        u32(&b, (uint32_t)r[i].len);
        u32(&b, (uint32_t)r[i].len);
        u16(&b, (unsigned)nlen);
        u16(&b, 0);
        u16(&b, 0);
        u16(&b, 0);
        u16(&b, 0);
        u32(&b, 0);
        u32(&b, (uint32_t)r[i].lho);
        put(&b, r[i].name, nlen);
    }
    size_t cd_size = b.n - cd;
    u32(&b, 0x06054b50);
    u16(&b, 0);
    u16(&b, 0);
    u16(&b, (unsigned)n);
    u16(&b, (unsigned)n);
    u32(&b, (uint32_t)cd_size);
    u32(&b, (uint32_t)cd);
    u16(&b, 0);
    return b;
}

typedef struct outcome {
    jlp_code code;
    fz_sink json;
} outcome;

static void touch(const jlp_doc *d, const uint8_t *zip, size_t zlen, int mapped) {
    const jlp_val *stack[512];
    size_t n = 0, seen = 0;
    stack[n++] = jlp_doc_root(d);
    while (n && seen < 8192) {
        const jlp_val *v = stack[--n];
        seen++;
        jlp_array_info ai = JLP_ARRAY_INFO_INIT;
        if (jlp_array_get(v, &ai)) {
            uint64_t sum = 0;
            for (uint64_t i = 0; ai.data && i < ai.nbytes; i++) sum += ((const uint8_t *)ai.data)[i];
            (void)sum;
            if (mapped && ai.origin == JLP_ORIGIN_TORCH && ai.storage == JLP_STORE_BORROWED && ai.nbytes)
                FZ_CHECK((const uint8_t *)ai.data >= zip && (const uint8_t *)ai.data + ai.nbytes <= zip + zlen,
                         "a mapped tensor outside the zip", ai.offset, ai.nbytes);
            continue;
        }
        jlp_iter it = jlp_iter_make(v);
        for (jlp_val *x; (x = jlp_iter_next(&it)) && n < 500;) {
            stack[n++] = x;
            if (jlp_get_type(v) == JLP_DICT && n < 500) stack[n++] = jlp_iter_value(&it);
        }
        if (jlp_get_type(v) == JLP_OBJECT && n < 505) {
            if (jlp_obj_state(v)) stack[n++] = jlp_obj_state(v);
            if (jlp_obj_dictitems(v)) stack[n++] = jlp_obj_dictitems(v);
            if (jlp_obj_args(v)) stack[n++] = jlp_obj_args(v);
            if (jlp_obj_items(v)) stack[n++] = jlp_obj_items(v);
        }
        if (jlp_get_type(v) == JLP_PERSID && n < 505) stack[n++] = jlp_persid_value(v);
    }
}

static outcome finish(jlp_doc *d, const jlp_error *err, const uint8_t *zip, size_t zlen, int mapped) {
    outcome o;
    fz_sink_init(&o.json);
    o.code = d ? JLP_OK : err->code;
    FZ_CHECK(o.code >= JLP_OK && o.code < JLP_E__COUNT, "error code out of range", o.code, 0);
    if (d) {
        touch(d, zip, zlen, mapped);
        jlp_json_opts jo = JLP_JSON_OPTS_INIT;
        jo.max_items = 256; /* larger arrays compare by their sha256: float repr is slow */
        jlp_error e;
        jlp_code c = jlp_export_json(jlp_doc_root(d), &jo, fz_sink_write, &o.json, &e);
        if (c != JLP_OK && c != JLP_E_NOMEM) fz_die_err("export", &e);
        jlp_doc_free(d);
    }
    return o;
}

static void same(const char *what, const outcome *a, const outcome *b) {
    FZ_EQ(what, a->code, b->code);
    if (a->code == JLP_OK && !fz_sink_same(&a->json, &b->json)) fz_die(what, "exports differ", a->json.len, b->json.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_reader in = {data, size, 0};
    uint8_t flags = fz_u8(&in);
    unsigned nst = flags & 15;
    const char *prefix = (flags & 32) ? "archive" : "ck";
    rec r[18];
    size_t n = 0;
    for (unsigned k = 0; k < nst; k++) {
        size_t len = fz_u16(&in);
        if (len > in.n - in.i) len = in.n - in.i;
        snprintf(r[n].name, sizeof r[n].name, "%s/data/%u", prefix, k);
        r[n].data = in.p + in.i;
        r[n].len = len;
        in.i += len;
        n++;
    }
    snprintf(r[n].name, sizeof r[n].name, "%s/data.pkl", prefix);
    r[n].data = in.p + in.i;
    r[n].len = in.n - in.i;
    /* data.pkl first: PyTorch's reader takes the prefix from the first record */
    rec first = r[n];
    memmove(r + 1, r, n * sizeof *r);
    r[0] = first;
    n++;
    snprintf(r[n].name, sizeof r[n].name, "%s/version", prefix);
    r[n].data = (const uint8_t *)"3\n";
    r[n].len = 2;
    n++;
    if (flags & 16) {
        snprintf(r[n].name, sizeof r[n].name, "%s/byteorder", prefix);
        r[n].data = (const uint8_t *)"big";
        r[n].len = 3;
        n++;
    }
    zbuf z = write_zip(r, n);

    fz_heap heap = {0, 0, 0, 0, 0};
    jlp_alc alc = fz_alc(&heap);
    jlp_archive_opts ao;
    jlp_archive_opts_init(&ao);
    ao.max_member_size = (uint64_t)4 << 20;
    ao.max_total = (uint64_t)16 << 20;
    ao.verify_mapped_crc = 1;
    ao.alc = &alc;
    jlp_read_opts ro;
    jlp_limits lim;
    jlp_read_opts_init(&ro);
    fz_budget(&ro, &lim);
    ro.alc = &alc;
    ro.archive = &ao;
    jlp_error err;
    outcome copied = finish(jlp_load_mem(z.p, z.n, &ro, NULL, &err), &err, z.p, z.n, 0);
    ro.mmap = 1;
    outcome mapped = finish(jlp_load_mem(z.p, z.n, &ro, NULL, &err), &err, z.p, z.n, 1);
    same("mapped and copied checkpoint loads disagree", &copied, &mapped);
    jlp_archive *ar = jlp_archive_open_mem(z.p, z.n, &ao, &err);
    if (!ar) fz_die_err("the harness's zip does not open", &err);
    FZ_EQ("the harness's zip is not a checkpoint", jlp_archive_kind_of(ar, NULL), JLP_KIND_TORCH);
    outcome whole = finish(jlp_load_archive(ar, &ro, &err), &err, z.p, z.n, 1);
    jlp_archive_free(ar);
    same("jlp_load_archive and jlp_load_mem disagree", &mapped, &whole);
    fz_heap_check_empty(&heap, "checkpoint");
    free(z.p);
    return 0;
}
