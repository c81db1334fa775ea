/*
 * fuzz_archive.c - libFuzzer target: the archive layer (jlp_archive_*) on any bytes: zip
 * central directories and local headers, tar headers through libarchive, tars inside
 * codecs, members read, loaded and opened as nested archives.
 *
 * Input: the archive's bytes. Budgets are tight (64 members, 4 MiB per member, 16 MiB
 * read in all, depth 2, the loads' fz_budget), every allocation goes through a counting
 * allocator.
 *
 * Properties (abort on failure):
 *   - opening fails with a code in range, or gives an archive whose format is "zip" or
 *     "tar", whose count is at most max_members, and whose members each have a
 *     NUL-terminated, valid UTF-8 name of name_len bytes, a method, and for zip a data
 *     extent inside the input (stored members: size == csize);
 *   - jlp_archive_find of each member's name gives that member, or MEMBER exactly when
 *     the member is flagged DUPLICATE;
 *   - reading a member (jlp_archive_read) gives exactly its declared size, and a stored
 *     zip member's bytes are the input's bytes at its offset; a member source loaded with
 *     jlp_load and the bytes read loaded with jlp_load_mem agree (success and JSON, or
 *     error code);
 *   - jlp_archive_load with and without mmap agree in success and JSON, and their arrays'
 *     bytes are all readable (ASan sees a stray pointer);
 *   - jlp_load_mem of the whole input agrees with jlp_load_archive of the opened archive
 *     (success and JSON, or error code) when jlp_archive_detect calls it an archive;
 *   - every allocation is returned, after the documents outlived the archive.
 */
#define FZ_TARGET "fuzz_archive"
#include "fuzz_common.h"

/* the library's CRC-32 of zip members (archive/crc32.c; internal, linked statically) */
uint32_t jlp__crc32(uint32_t crc, const void *data, size_t n);

#define MAX_MEMBERS_VISITED 16

static void budget(jlp_archive_opts *ao, const jlp_alc *alc) {
    jlp_archive_opts_init(ao);
    ao->max_members = 64;
    ao->max_member_size = (uint64_t)4 << 20;
    ao->max_total = (uint64_t)16 << 20;
    ao->max_depth = 2;
    ao->verify_mapped_crc = 1; /* so mapped and copied loads see the same bytes checked */
    ao->alc = alc;
}

typedef struct outcome {
    jlp_code code;
    fz_sink json;
} outcome;

/* The export of `d` (freed), or the error. */
static outcome finish(jlp_doc *d, const jlp_error *err) {
    outcome o;
    fz_sink_init(&o.json);
    o.code = d ? JLP_OK : err->code;
    FZ_CHECK(o.code >= JLP_OK && o.code < JLP_E__COUNT, "error code out of range", o.code, 0);
    if (d) {
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

/* Every array's bytes, read (a pointer outside what the document owns faults). */
static uint64_t touch(const jlp_val *root) {
    uint64_t sum = 0;
    const jlp_val *stack[256];
    size_t n = 0;
    if (root) stack[n++] = root;
    size_t seen = 0;
    while (n && seen < 4096) {
        const jlp_val *v = stack[--n];
        seen++;
        jlp_array_info ai = JLP_ARRAY_INFO_INIT;
        if (jlp_array_get(v, &ai)) {
            for (uint64_t i = 0; ai.data && i < ai.nbytes; i++) sum += ((const uint8_t *)ai.data)[i];
            continue;
        }
        jlp_iter it = jlp_iter_make(v);
        for (jlp_val *x; (x = jlp_iter_next(&it)) && n < 250;) {
            stack[n++] = x;
            if (jlp_get_type(v) == JLP_DICT && n < 250) stack[n++] = jlp_iter_value(&it);
        }
        if (jlp_get_type(v) == JLP_OBJECT && n < 252) {
            if (jlp_obj_state(v)) stack[n++] = jlp_obj_state(v);
            if (jlp_obj_dictitems(v)) stack[n++] = jlp_obj_dictitems(v);
            if (jlp_obj_args(v)) stack[n++] = jlp_obj_args(v);
        }
    }
    return sum;
}

static void check_member(jlp_archive *ar, size_t i, const uint8_t *data, size_t size, const jlp_read_opts *ro,
                         jlp_doc **kept) {
    jlp_member_info mi;
    FZ_CHECK(jlp_archive_member(ar, i, &mi), "jlp_archive_member in range", i, 0);
    FZ_CHECK(mi.name && mi.name[mi.name_len] == 0, "member name not NUL-terminated", i, mi.name_len);
    FZ_CHECK(mi.method != NULL, "member without a method", i, 0);
    int zip = !strcmp(jlp_archive_format(ar), "zip");
    if (zip && !(mi.flags & (JLP_MEMBER_DIR | JLP_MEMBER_LINK | JLP_MEMBER_SPECIAL))) {
        FZ_CHECK(mi.offset <= size && mi.csize <= size - mi.offset, "zip member data outside the input", mi.offset, mi.csize);
        if (!strcmp(mi.method, "stored") && !(mi.flags & JLP_MEMBER_ENCRYPTED))
            FZ_EQ("stored member with two sizes", mi.size, mi.csize);
    }
    jlp_error err;
    size_t found;
    jlp_code fc = jlp_archive_find(ar, mi.name, &found, &err);
    if (mi.flags & JLP_MEMBER_DUPLICATE) {
        FZ_EQ("a duplicate name was found", fc, JLP_E_MEMBER);
    } else if (fc == JLP_OK) {
        FZ_EQ("find gives another member", found, i);
    } else {
        /* "x" may also match "x.npy" of numpy's keys: another member then wins */
        FZ_EQ("find failed for a unique name", fc, JLP_E_MEMBER);
    }

    void *bytes = NULL;
    size_t blen = 0;
    jlp_code rc = jlp_archive_read(ar, i, &bytes, &blen, &err);
    FZ_CHECK(rc >= JLP_OK && rc < JLP_E__COUNT, "read code out of range", rc, 0);
    if (rc == JLP_OK) {
        FZ_EQ("read size differs from the declared size", blen, mi.size);
        if (zip && !strcmp(mi.method, "stored"))
            FZ_CHECK(blen == 0 || !memcmp(bytes, data + mi.offset, blen), "stored bytes differ from the input", i, 0);
        /* the member as a source and its bytes from memory load alike (a member that is
         * an archive itself loads as one only by the archive calls) */
        if (!jlp_archive_detect(bytes, blen, ro)) {
            jlp_source *s = jlp_archive_member_source(ar, i, &err);
            FZ_CHECK(s != NULL, "a member that reads has no source", i, err.code);
            jlp_doc *d = jlp_load(s, ro, &err);
            /* the one-shot loaders also check that a compressed container ends there */
            if (d && strcmp(jlp_doc_container(d), "none") != 0 && jlp_source_check_end(s, &err) != JLP_OK) {
                jlp_doc_free(d);
                d = NULL;
            }
            outcome a = finish(d, &err);
            jlp_source_free(s);
            outcome b = finish(jlp_load_mem(bytes, blen, ro, NULL, &err), &err);
            /* jlp_load_mem refuses torch's pre-1.6 magic number, which jlp_load returns */
            if (!(a.code == JLP_OK && b.code == JLP_E_UNSUPPORTED)) same("member source and its bytes load differently", &a, &b);
        }
    }
    free(bytes);

    jlp_read_opts mm = *ro;
    mm.mmap = 1;
    jlp_doc *dm = jlp_archive_load(ar, i, &mm, &err);
    jlp_code cm = dm ? JLP_OK : err.code;
    jlp_doc *dc = jlp_archive_load(ar, i, ro, &err);
    jlp_code cc = dc ? JLP_OK : err.code;
    if (dm) touch(jlp_doc_root(dm));
    outcome oc = finish(dc, &err);
    /* A stored zip member whose CRC-32 is wrong: the mapped load checks it before reading
     * anything (CHECKSUM), a copied load reports the first error in stream order and the
     * CRC-32 when it reads the member's end (spec/errors.md, CHECKSUM). */
    int bad_crc = zip && !strcmp(mi.method, "stored") && !(mi.flags & JLP_MEMBER_ENCRYPTED) &&
                   mi.offset <= size && mi.size <= size - mi.offset &&
                   jlp__crc32(0, data + mi.offset, (size_t)mi.size) != mi.crc32;
    FZ_CHECK(cm == cc || cm == JLP_E_LIMIT || cc == JLP_E_LIMIT || (bad_crc && cm == JLP_E_CHECKSUM),
             "mmap and copied loads of a member disagree", cm, cc);
    /* one mapped document is kept past the archive's end */
    if (dm && !*kept) *kept = dm;
    else if (dm) {
        outcome om = finish(dm, &err);
        if (cm == JLP_OK && cc == JLP_OK) same("mmap and copied member loads export differently", &om, &oc);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_heap heap = {0, 0, 0, 0, 0};
    jlp_alc alc = fz_alc(&heap);
    jlp_archive_opts ao;
    budget(&ao, &alc);
    jlp_read_opts ro;
    jlp_limits lim;
    jlp_read_opts_init(&ro);
    fz_budget(&ro, &lim);
    ro.alc = &alc;
    ro.archive = &ao;
    jlp_error err;
    jlp_doc *kept = NULL;
    jlp_archive *ar = jlp_archive_open_mem(data, size, &ao, &err);
    if (!ar) {
        FZ_CHECK(err.code > JLP_OK && err.code < JLP_E__COUNT, "open error code out of range", err.code, 0);
    } else {
        const char *f = jlp_archive_format(ar);
        FZ_CHECK(!strcmp(f, "zip") || !strcmp(f, "tar"), "format", 0, 0);
        size_t n = jlp_archive_count(ar);
        FZ_CHECK(n <= ao.max_members, "more members than max_members", n, ao.max_members);
        jlp_member_info none;
        FZ_EQ("member past the end", jlp_archive_member(ar, n, &none), 0);
        for (size_t i = 0; i < n && i < MAX_MEMBERS_VISITED; i++) check_member(ar, i, data, size, &ro, &kept);
        (void)jlp_archive_kind_of(ar, NULL);
        outcome whole = finish(jlp_load_archive(ar, &ro, &err), &err);
        if (jlp_archive_detect(data, size, &ro)) {
            outcome mem = finish(jlp_load_mem(data, size, &ro, NULL, &err), &err);
            same("jlp_load_mem and jlp_load_archive disagree", &mem, &whole);
        }
        /* a nested archive, opened and closed after its parent */
        jlp_archive *sub = n ? jlp_archive_open_member(ar, 0, &err) : NULL;
        jlp_archive_free(ar);
        if (sub) {
            outcome o = finish(jlp_load_archive(sub, &ro, &err), &err);
            (void)o;
            jlp_archive_free(sub);
        }
    }
    if (kept) {
        touch(jlp_doc_root(kept));
        jlp_doc_free(kept);
    }
    fz_heap_check_empty(&heap, "archive");
    return 0;
}
