/*
 * test_archive.c - archives made by Python (tests/archive/golden, or $JLP_ARCHIVE_DIR):
 * PyTorch checkpoints written by torch.save / torch.jit.save and zip and tar bundles of
 * joblib files. Each must export exactly the JSON Python computed (by path, by path with
 * mmap, from memory), list exactly the members Python's zipfile / tarfile list, and fail
 * with the expected code where it must. Then the archive API: sharing and mapping of
 * tensor storages, member access, the ARCHIVE::MEMBER syntax, nesting, lifetimes.
 */
#include "harness.h"
#include "util.h"

#include "jlpickle_scan.h"

#include <unistd.h>

static const char *golden_dir(void) {
    const char *d = getenv("JLP_ARCHIVE_DIR");
    return d ? d : "tests/archive/golden";
}

static char *path_of(const char *name, const char *suffix) {
    static char buf[8][4096];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s%s", golden_dir(), name, suffix);
    return b;
}

static char *export(jlp_doc *d) {
    jlp_error err;
    return jlp_export_json_str(jlp_doc_root(d), NULL, NULL, &err);
}

/* Compare the export of `d` (consumed) with the expected text. */
static int same_json(jlp_doc *d, const char *want, const char *what, const char *name) {
    if (!d) return 0;
    char *got = export(d);
    jlp_doc_free(d);
    int ok = got && !strcmp(got, want);
    if (!ok) {
        size_t i = 0;
        while (got && got[i] && got[i] == want[i]) i++;
        TH_FAIL("%s (%s): export differs at byte %zu", name, what, i);
    }
    free(got);
    return ok;
}

static const char *flags_text(unsigned f) {
    if (f & JLP_MEMBER_DIR) return "d";
    if (f & JLP_MEMBER_LINK) return "l";
    return "-";
}

/* The member table of NAME.meta against jlp_archive_member. */
static void check_members(const char *name) {
    size_t len;
    char *meta = slurp(path_of(name, ".meta"), &len);
    if (!meta) return;
    char fmt[16], container[16];
    unsigned long count;
    if (sscanf(meta, "format=%15s container=%15s members=%lu", fmt, container, &count) != 3) {
        TH_FAIL("%s.meta: malformed", name);
        free(meta);
        return;
    }
    jlp_error err;
    jlp_archive *ar = jlp_archive_open_path(path_of(name, ""), NULL, &err);
    if (!ar) {
        TH_FAIL("%s: cannot open as an archive: %s: %s", name, jlp_error_name(err.code), err.msg);
        free(meta);
        return;
    }
    CHECK_STR(jlp_archive_format(ar), fmt);
    CHECK_STR(jlp_archive_container(ar), container);
    CHECK_INT(jlp_archive_count(ar), count);
    char *line = strchr(meta, '\n');
    for (size_t i = 0; line && line[1] && i < count; i++) {
        line++;
        char *end = strchr(line, '\n');
        if (end) *end = 0;
        char mname[1024], method[32], crc[16], flags[8];
        unsigned long long size, csize, offset;
        /* tab-separated; names have no tabs */
        char *t = strchr(line, '\t');
        if (!t || (size_t)(t - line) >= sizeof mname ||
            sscanf(t + 1, "%llu\t%llu\t%31s\t%llu\t%15s\t%7s", &size, &csize, method, &offset, crc, flags) != 6) {
            TH_FAIL("%s.meta: malformed member line %zu", name, i);
            break;
        }
        memcpy(mname, line, (size_t)(t - line));
        mname[t - line] = 0;
        jlp_member_info mi;
        CHECK(jlp_archive_member(ar, i, &mi));
        CHECK_STR(mi.name, mname);
        CHECK_INT(mi.name_len, strlen(mname));
        CHECK_INT(mi.size, size);
        if (!(mi.flags & (JLP_MEMBER_DIR | JLP_MEMBER_LINK))) CHECK_INT(mi.csize, csize);
        CHECK_STR(mi.method, method);
        /* tarfile gives a link or directory the offset of the block after its header */
        CHECK_INT(mi.offset, offset);
        char mycrc[16];
        snprintf(mycrc, sizeof mycrc, "%08x", (unsigned)mi.crc32);
        CHECK_STR(mycrc, crc);
        CHECK_STR(flags_text(mi.flags), flags);
        line = end;
    }
    jlp_archive_free(ar);
    free(meta);
}

static int run_golden(int *files) {
    size_t mlen;
    char *manifest = slurp(path_of("MANIFEST", ""), &mlen);
    if (!manifest) {
        TH_FAIL("cannot read %s", path_of("MANIFEST", ""));
        return 0;
    }
    int n = 0;
    for (char *name = strtok(manifest, "\n"); name; name = strtok(NULL, "\n")) {
        n++;
        size_t len;
        char *want = slurp(path_of(name, ".json"), &len);
        char *werr = want ? NULL : slurp(path_of(name, ".err"), &len);
        jlp_error err;
        if (werr) {
            werr[strcspn(werr, "\n")] = 0;
            jlp_doc *d = jlp_load_path(path_of(name, ""), NULL, &err);
            if (d) TH_FAIL("%s: loaded, expected %s", name, werr);
            else CHECK_STR(jlp_error_name(err.code), werr);
            jlp_doc_free(d);
            free(werr);
            continue;
        }
        if (!want) {
            TH_FAIL("%s: no .json or .err", name);
            continue;
        }
        jlp_read_opts mm = JLP_READ_OPTS_INIT;
        mm.mmap = 1;
        jlp_doc *d = jlp_load_path(path_of(name, ""), NULL, &err);
        if (!d) TH_FAIL("%s: %s: %s", name, jlp_error_name(err.code), err.msg);
        same_json(d, want, "path", name);
        d = jlp_load_path(path_of(name, ""), &mm, &err);
        if (!d) TH_FAIL("%s (mmap): %s: %s", name, jlp_error_name(err.code), err.msg);
        same_json(d, want, "mmap", name);
        size_t blen;
        char *bytes = slurp(path_of(name, ""), &blen);
        d = jlp_load_mem(bytes, blen, NULL, NULL, &err);
        if (!d) TH_FAIL("%s (memory): %s: %s", name, jlp_error_name(err.code), err.msg);
        same_json(d, want, "memory", name);
        free(bytes);
        check_members(name);
        free(want);
    }
    free(manifest);
    *files = n;
    return 1;
}

TEST(golden_archives) {
    int n = 0;
    run_golden(&n);
    if (n < 20) TH_FAIL("only %d archives in the golden set", n);
}

/* ---- tensors -------------------------------------------------------------------------- */

static const jlp_val *get(const jlp_val *d, const char *key) {
    const jlp_val *v = jlp_dict_get(d, key);
    if (!v) TH_FAIL("no key %s", key);
    return v;
}

TEST(torch_storages_are_shared_and_mapped) {
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.mmap = 1;
    jlp_error err;
    jlp_doc *d = jlp_load_path(path_of("t_views.pt", ""), &o, &err);
    if (!d) { TH_FAIL("%s", err.msg); return; }
    const jlp_val *r = jlp_doc_root(d);
    jlp_array_info base = JLP_ARRAY_INFO_INIT, tr = JLP_ARRAY_INFO_INIT, rows = JLP_ARRAY_INFO_INIT;
    jlp_array_info col = JLP_ARRAY_INFO_INIT, every = JLP_ARRAY_INFO_INIT;
    CHECK(jlp_array_get(get(r, "base"), &base));
    CHECK(jlp_array_get(get(r, "transposed"), &tr));
    CHECK(jlp_array_get(get(r, "rows"), &rows));
    CHECK(jlp_array_get(get(r, "column"), &col));
    CHECK(jlp_array_get(get(r, "every_other"), &every));
    CHECK_INT(base.storage, JLP_STORE_MMAP);
    CHECK_INT(base.origin, JLP_ORIGIN_TORCH);
    CHECK(base.aligned);
    /* views of one storage: the same bytes */
    CHECK(tr.data == base.data);
    CHECK_INT(tr.order, 'F');
    CHECK(rows.data == (const char *)base.data + 6 * 4);
    CHECK_INT(rows.offset, base.offset + 24);
    /* strided tensors are gathered into the document */
    CHECK_INT(col.storage, JLP_STORE_ARENA);
    CHECK_INT(every.storage, JLP_STORE_ARENA);
    CHECK_INT(every.count, 12);
    const float *e = every.data;
    CHECK(e[0] == 0.0f && e[1] == 2.0f && e[2] == 4.0f && e[3] == 6.0f && e[11] == 22.0f);
    /* torch aligns storages to 64 bytes in the zip */
    CHECK_INT(base.offset % 64, 0);
    /* the same tensor twice is one node */
    CHECK(jlp_dict_get(r, "rows") == jlp_dict_get(r, "same_again"));
    jlp_doc_free(d);

    d = jlp_load_path(path_of("t_views.pt", ""), NULL, &err);
    CHECK(d != NULL);
    CHECK(jlp_array_get(get(jlp_doc_root(d), "base"), &base));
    CHECK_INT(base.storage, JLP_STORE_ARENA);
    CHECK(jlp_array_get(get(jlp_doc_root(d), "transposed"), &tr));
    CHECK(tr.data == base.data);
    /* copied, but from where the stored member lies in the file */
    CHECK_INT(tr.offset, base.offset);
    CHECK_INT(base.offset % 64, 0);
    jlp_doc_free(d);
}

TEST(member_offsets_are_file_offsets) {
    /* a joblib file stored in a tar and in a zip: its arrays' offsets are offsets in
     * the archive, where the bytes are; in a compressed tar they are not in the file */
    static const char *in_place[] = {"b_arrays.tar", "b_model_stored.zip"};
    for (int k = 0; k < 2; k++) {
        size_t n;
        char *f = slurp(path_of(in_place[k], ""), &n);
        jlp_error err;
        for (int mm = 0; mm < 2; mm++) {
            jlp_read_opts o = JLP_READ_OPTS_INIT;
            o.mmap = mm;
            jlp_doc *d = jlp_load_path(path_of(in_place[k], ""), &o, &err);
            if (!d) { TH_FAIL("%s: %s", in_place[k], err.msg); continue; }
            jlp_array_info a = JLP_ARRAY_INFO_INIT;
            CHECK(jlp_array_get(jlp_dict_get(jlp_doc_root(d), "w"), &a));
            CHECK(a.offset < n && a.nbytes == 96 && !memcmp(f + a.offset, a.data, 96));
            CHECK_INT(a.storage, mm ? JLP_STORE_MMAP : JLP_STORE_ARENA);
            /* tar data starts at a 512-byte block; zipfile aligns nothing */
            if (mm) CHECK_INT(a.aligned, a.offset % 8 == 0);
            if (k == 0) CHECK_INT(a.offset % 16, 0);
            jlp_doc_free(d);
        }
        free(f);
    }
    jlp_error err;
    jlp_doc *d = jlp_load_path(path_of("b_model.zip", ""), NULL, &err);
    CHECK(d != NULL);
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    if (d) CHECK(jlp_array_get(jlp_dict_get(jlp_obj_state(jlp_doc_root(d)), "coef_"), &a));
    if (d) CHECK_INT(a.offset, UINT64_MAX);
    jlp_doc_free(d);
}

TEST(torch_dtypes) {
    static const struct { const char *key, *str; char kind; unsigned itemsize; } want[] = {
        {"float32", "<f4", 'f', 4}, {"float64", "<f8", 'f', 8}, {"float16", "<f2", 'f', 2},
        {"bfloat16", "bfloat16", 'V', 2}, {"int8", "|i1", 'i', 1}, {"uint8", "|u1", 'u', 1},
        {"int16", "<i2", 'i', 2}, {"int32", "<i4", 'i', 4}, {"int64", "<i8", 'i', 8},
        {"bool", "|b1", 'b', 1}, {"complex64", "<c8", 'c', 8}, {"complex128", "<c16", 'c', 16}};
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.mmap = 1;
    jlp_error err;
    jlp_doc *d = jlp_load_path(path_of("t_dtypes.pt", ""), &o, &err);
    if (!d) { TH_FAIL("%s", err.msg); return; }
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        jlp_array_info a = JLP_ARRAY_INFO_INIT;
        CHECK(jlp_array_get(get(jlp_doc_root(d), want[i].key), &a));
        CHECK_STR(jlp_dtype_str(a.dtype), want[i].str);
        CHECK_INT(jlp_dtype_kind(a.dtype), want[i].kind);
        CHECK_INT(jlp_dtype_itemsize(a.dtype), want[i].itemsize);
        CHECK_INT(a.storage, JLP_STORE_MMAP);
        CHECK(a.aligned);
        CHECK(a.native);
    }
    /* bfloat16 1.0 is 0x3f80; copy_native keeps host order */
    jlp_array_info b = JLP_ARRAY_INFO_INIT;
    jlp_array_get(get(jlp_doc_root(d), "bfloat16"), &b);
    uint16_t h[8];
    CHECK_INT(jlp_array_copy_native(get(jlp_doc_root(d), "bfloat16"), h, sizeof h, &err), JLP_OK);
    CHECK_INT(h[1], 0xbfc0); /* -1.5 */
    /* a bfloat16 array cannot be written for numpy */
    void *out;
    size_t olen;
    CHECK_INT(jlp_dump_mem(get(jlp_doc_root(d), "bfloat16"), NULL, &out, &olen, &err), JLP_E_UNSUPPORTED);
    jlp_doc_free(d);

    /* the big-endian copy: items in the file's order, swapped by copy_native */
    d = jlp_load_path(path_of("t_bigendian.pt", ""), &o, &err);
    if (!d) { TH_FAIL("%s", err.msg); return; }
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    CHECK(jlp_array_get(get(jlp_doc_root(d), "int32"), &a));
    CHECK_STR(jlp_dtype_str(a.dtype), ">i4");
    CHECK(!a.native);
    int32_t v[3];
    CHECK_INT(jlp_array_copy_native(get(jlp_doc_root(d), "int32"), v, sizeof v, &err), JLP_OK);
    CHECK_INT(v[0], INT32_MIN);
    CHECK_INT(v[2], INT32_MAX);
    CHECK_INT(jlp_array_copy_native(get(jlp_doc_root(d), "bfloat16"), h, sizeof h, &err), JLP_OK);
    CHECK_INT(h[1], 0xbfc0);
    jlp_doc_free(d);
}

TEST(torch_state_dict_is_an_ordered_dict_call) {
    jlp_error err;
    jlp_doc *d = jlp_load_path(path_of("t_state_dict.pt", ""), NULL, &err);
    if (!d) { TH_FAIL("%s", err.msg); return; }
    const jlp_val *r = jlp_doc_root(d);
    CHECK_INT(jlp_get_type(r), JLP_OBJECT);
    CHECK(jlp_global_is(jlp_obj_callable(r), "collections", "OrderedDict"));
    const jlp_val *items = jlp_obj_dictitems(r);
    jlp_array_info w = JLP_ARRAY_INFO_INIT;
    CHECK(jlp_array_get(jlp_dict_get(items, "0.weight"), &w));
    CHECK_INT(w.ndim, 4);
    CHECK_INT(w.shape[0], 2);
    CHECK_INT(w.shape[3], 3);
    jlp_array_info nb = JLP_ARRAY_INFO_INIT;
    CHECK(jlp_array_get(jlp_dict_get(items, "1.num_batches_tracked"), &nb));
    CHECK_INT(nb.ndim, 0);
    CHECK_INT(*(const int64_t *)nb.data, 1);
    CHECK(jlp_dict_get(jlp_obj_state(r), "_metadata") != NULL);
    jlp_doc_free(d);
}

/* ---- the archive API ------------------------------------------------------------------- */

TEST(kinds) {
    static const struct { const char *name; jlp_archive_kind kind; const char *model; } want[] = {
        {"t_dtypes.pt", JLP_KIND_TORCH, NULL},          {"t_script.pt", JLP_KIND_TORCHSCRIPT, NULL},
        {"b_model.tar.gz", JLP_KIND_MODEL, "model/model.joblib"},
        {"b_packed.tar", JLP_KIND_MODEL, "model.joblib.gz"}, {"b_model.zip", JLP_KIND_MODEL, "model/model.joblib"},
        {"b_ckpt.tar", JLP_KIND_MODEL, "ckpt/pytorch_model.bin"}, {"b_two.tar", JLP_KIND_BUNDLE, NULL},
        {"b_none.tar", JLP_KIND_BUNDLE, NULL},           {"b_tar_in.zip", JLP_KIND_MODEL, "bundle.tar"},
        {"b_targz_in.zip", JLP_KIND_MODEL, "bundle.tar.gz"}, {"b_zip_in.tar.gz", JLP_KIND_MODEL, "export/model.zip"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        jlp_error err;
        jlp_archive *ar = jlp_archive_open_path(path_of(want[i].name, ""), NULL, &err);
        if (!ar) { TH_FAIL("%s: %s", want[i].name, err.msg); continue; }
        size_t m = 0;
        CHECK_INT(jlp_archive_kind_of(ar, &m), want[i].kind);
        if (want[i].model) {
            jlp_member_info mi;
            CHECK(jlp_archive_member(ar, m, &mi));
            CHECK_STR(mi.name, want[i].model);
        } else {
            CHECK_INT(m, SIZE_MAX);
        }
        jlp_archive_free(ar);
    }
}

TEST(members_links_and_directories) {
    jlp_error err;
    jlp_archive *ar = jlp_archive_open_path(path_of("b_model.tar", ""), NULL, &err);
    if (!ar) { TH_FAIL("%s", err.msg); return; }
    size_t i;
    CHECK_INT(jlp_archive_find(ar, "model/latest", &i, &err), JLP_OK);
    jlp_member_info mi;
    jlp_archive_member(ar, i, &mi);
    CHECK_INT(mi.flags, JLP_MEMBER_LINK);
    CHECK_STR(mi.link, "model.joblib");
    CHECK(jlp_archive_member_source(ar, i, &err) == NULL);
    CHECK_INT(err.code, JLP_E_MEMBER);
    CHECK(jlp_archive_load(ar, i, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_MEMBER);
    CHECK_INT(jlp_archive_find(ar, "model", &i, &err), JLP_OK);
    CHECK(jlp_archive_member_source(ar, i, &err) == NULL);
    CHECK_INT(err.code, JLP_E_MEMBER);
    CHECK_INT(jlp_archive_find(ar, "model/none", &i, &err), JLP_E_MEMBER);
    CHECK_INT(jlp_archive_find(ar, NULL, &i, &err), JLP_E_INVALID_ARG);
    /* a member's bytes, whole */
    CHECK_INT(jlp_archive_find(ar, "model/README.txt", &i, &err), JLP_OK);
    void *buf;
    size_t len;
    CHECK_INT(jlp_archive_read(ar, i, &buf, &len, &err), JLP_OK);
    CHECK_INT(len, 16);
    CHECK(!memcmp(buf, "A model bundle.\n", 16));
    free(buf);
    CHECK(jlp_archive_member(ar, 99, &mi) == 0);
    CHECK(mi.name == NULL);
    jlp_archive_free(ar);
    /* NULL-tolerant accessors */
    CHECK(jlp_archive_format(NULL) == NULL);
    CHECK(jlp_archive_container(NULL) == NULL);
    CHECK_INT(jlp_archive_count(NULL), 0);
    CHECK_INT(jlp_archive_kind_of(NULL, NULL), JLP_KIND_BUNDLE);
    jlp_archive_free(NULL);
}

TEST(member_syntax) {
    jlp_error err;
    char p[4200];
    snprintf(p, sizeof p, "%s::model/model.joblib", path_of("b_model.tar.xz", ""));
    jlp_doc *d = jlp_load_path(p, NULL, &err);
    CHECK(d != NULL);
    jlp_doc_free(d);
    snprintf(p, sizeof p, "%s::b.joblib", path_of("b_two.tar", ""));
    d = jlp_load_path(p, NULL, &err);
    CHECK(d != NULL);
    if (d) CHECK_INT(jlp_get_type(jlp_dict_get(jlp_doc_root(d), "w")), JLP_NDARRAY);
    jlp_doc_free(d);
    /* nested: a member of a checkpoint inside a tar, loaded as the pickle it is */
    snprintf(p, sizeof p, "%s::ckpt/pytorch_model.bin::t_state_dict/data.pkl", path_of("b_ckpt.tar", ""));
    d = jlp_load_path(p, NULL, &err);
    if (!d) TH_FAIL("%s", err.msg);
    jlp_doc_free(d);
    snprintf(p, sizeof p, "%s::nothing", path_of("b_two.tar", ""));
    CHECK(jlp_load_path(p, NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_MEMBER);
    /* a prefix that is not a file: the whole name is opened and not found */
    CHECK(jlp_load_path("no/such/file.tar::x", NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_IO);
}

TEST(documents_outlive_their_archive) {
    jlp_error err;
    jlp_archive *ar = jlp_archive_open_path(path_of("t_dtypes.pt", ""), NULL, &err);
    if (!ar) { TH_FAIL("%s", err.msg); return; }
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.mmap = 1;
    jlp_doc *d = jlp_load_archive(ar, &o, &err);
    jlp_archive_free(ar);
    if (!d) { TH_FAIL("%s", err.msg); return; }
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    CHECK(jlp_array_get(get(jlp_doc_root(d), "float64"), &a));
    CHECK_INT(a.storage, JLP_STORE_MMAP);
    CHECK(((const double *)a.data)[1] == -0.5);
    jlp_doc_free(d);
}

TEST(nested_archives) {
    jlp_error err;
    jlp_archive *ar = jlp_archive_open_path(path_of("b_ckpt.tar.xz", ""), NULL, &err);
    if (!ar) { TH_FAIL("%s", err.msg); return; }
    jlp_archive *zip = jlp_archive_open_member(ar, 0, &err);
    jlp_archive_free(ar);
    if (!zip) { TH_FAIL("%s", err.msg); return; }
    CHECK_STR(jlp_archive_format(zip), "zip");
    CHECK_INT(jlp_archive_kind_of(zip, NULL), JLP_KIND_TORCH);
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.mmap = 1;
    jlp_doc *d = jlp_load_archive(zip, &o, &err);
    jlp_archive_free(zip);
    CHECK(d != NULL);
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    if (d) {
        CHECK(jlp_array_get(jlp_dict_get(jlp_obj_dictitems(jlp_doc_root(d)), "0.weight"), &a));
        /* decoded into memory by the nested open: borrowed from that buffer */
        CHECK_INT(a.storage, JLP_STORE_BORROWED);
    }
    jlp_doc_free(d);

    /* max_depth 1: one level of nesting, no more */
    jlp_archive_opts ao = JLP_ARCHIVE_OPTS_INIT;
    ao.max_depth = 1;
    ar = jlp_archive_open_path(path_of("b_ckpt.tar", ""), &ao, &err);
    if (!ar) { TH_FAIL("%s", err.msg); return; }
    size_t i;
    CHECK_INT(jlp_archive_find(ar, "ckpt/pytorch_model.bin", &i, &err), JLP_OK);
    zip = jlp_archive_open_member(ar, i, &err);
    CHECK(zip != NULL);
    CHECK(zip && jlp_archive_open_member(zip, 0, &err) == NULL);
    CHECK_INT(err.code, JLP_E_LIMIT);
    jlp_archive_free(zip);
    jlp_archive_free(ar);
}

/* ---- .npz ------------------------------------------------------------------------------- */

static char *export_of(const jlp_val *v) {
    jlp_error err;
    return jlp_export_json_str(v, NULL, NULL, &err);
}

TEST(npz_written_reads_back) {
    static const char *names[] = {"n_savez.npz", "n_savez_compressed.npz", "n_args.npz", "n_large.npz"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        jlp_error err;
        jlp_doc *d = jlp_load_path(path_of(names[k], ""), NULL, &err);
        if (!d) { TH_FAIL("%s: %s", names[k], err.msg); continue; }
        char *want = export_of(jlp_doc_root(d));
        for (int compress = 0; compress < 2; compress++) {
            void *buf = NULL;
            size_t len = 0;
            CHECK_INT(jlp_dump_npz_mem(jlp_doc_root(d), compress, &buf, &len, &err), JLP_OK);
            jlp_doc *back = jlp_load_mem(buf, len, NULL, NULL, &err);
            if (!back) { TH_FAIL("%s: %s", names[k], err.msg); free(buf); continue; }
            char *got = export_of(jlp_doc_root(back));
            if (!got || strcmp(got, want)) TH_FAIL("%s (compress %d): written and read back differ", names[k], compress);
            /* stored members: every array's data at a multiple of 64 in the file */
            for (size_t i = 0; !compress && i < jlp_len(jlp_doc_root(back)); i++) {
                jlp_array_info a = JLP_ARRAY_INFO_INIT;
                if (jlp_array_get(jlp_dict_value(jlp_doc_root(back), i), &a) && a.nbytes)
                    CHECK_INT(a.offset % 64, 0);
            }
            free(got);
            jlp_doc_free(back);
            free(buf);
        }
        free(want);
        jlp_doc_free(d);
    }
}

TEST(npz_object_arrays_need_the_flag) {
    jlp_error err;
    CHECK(jlp_load_path(path_of("n_object.npz", ""), NULL, &err) == NULL);
    CHECK_INT(err.code, JLP_E_UNSUPPORTED);
    CHECK(strstr(err.msg, "o.npy") != NULL);
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.flags = JLP_READ_NPY_PICKLE;
    jlp_doc *d = jlp_load_path(path_of("n_object.npz", ""), &o, &err);
    CHECK(d != NULL);
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    if (d) {
        CHECK(jlp_array_get(jlp_dict_get(jlp_doc_root(d), "o"), &a));
        CHECK_INT(a.count, 3);
        CHECK(jlp_str_eq(jlp_array_object(jlp_dict_get(jlp_doc_root(d), "o"), 1), "a"));
    }
    jlp_doc_free(d);
}

TEST(npz_mapping_and_members) {
    jlp_read_opts o = JLP_READ_OPTS_INIT;
    o.mmap = 1;
    jlp_error err;
    jlp_doc *d = jlp_load_path(path_of("n_savez.npz", ""), &o, &err);
    if (!d) { TH_FAIL("%s", err.msg); return; }
    jlp_array_info a = JLP_ARRAY_INFO_INIT;
    CHECK(jlp_array_get(jlp_dict_get(jlp_doc_root(d), "x"), &a));
    CHECK_INT(a.storage, JLP_STORE_MMAP);
    CHECK_INT(a.origin, JLP_ORIGIN_NPY);
    double five;
    memcpy(&five, (const char *)a.data + 5 * sizeof five, sizeof five); /* numpy's zip aligns nothing */
    CHECK(five == 5.0);
    CHECK(jlp_dict_get(jlp_doc_root(d), "dir/nested") != NULL);
    jlp_doc_free(d);
    d = jlp_load_path(path_of("n_savez_compressed.npz", ""), &o, &err);
    CHECK(d != NULL);
    if (d) CHECK(jlp_array_get(jlp_dict_get(jlp_doc_root(d), "x"), &a));
    if (d) CHECK_INT(a.storage, JLP_STORE_ARENA);
    if (d) CHECK_INT(a.offset, UINT64_MAX);
    jlp_doc_free(d);
    /* a member by numpy's key, and one that is no .npy file */
    char p[4200];
    snprintf(p, sizeof p, "%s::fortran", path_of("n_savez.npz", ""));
    d = jlp_load_path(p, NULL, &err);
    CHECK(d != NULL);
    if (d) CHECK(jlp_array_get(jlp_doc_root(d), &a));
    if (d) CHECK_INT(a.order, 'F');
    jlp_doc_free(d);
    d = jlp_load_path(path_of("n_mixed.npz", ""), NULL, &err);
    CHECK(d != NULL);
    size_t n = 0;
    const char *txt = d ? jlp_get_str(jlp_dict_get(jlp_doc_root(d), "notes.txt"), &n) : NULL;
    CHECK(txt && n == 11 && !memcmp(txt, "plain bytes", 11));
    if (d) CHECK_INT(jlp_get_type(jlp_dict_get(jlp_doc_root(d), "notes.txt")), JLP_BYTES);
    jlp_doc_free(d);
}

TEST(npz_write_errors) {
    jlp_doc *d = jlp_doc_new(NULL);
    jlp_val *dict = jlp_new_dict(d), *list = jlp_new_list(d);
    jlp_error err;
    void *buf;
    size_t len;
    CHECK_INT(jlp_dump_npz_mem(jlp_new_int(d, 3), 0, &buf, &len, &err), JLP_E_INVALID_ARG);
    CHECK_INT(jlp_dump_npz_mem(NULL, 0, &buf, &len, &err), JLP_E_INVALID_ARG);
    jlp_dict_set_str(d, dict, "a", jlp_new_int(d, 1));
    CHECK_INT(jlp_dump_npz_mem(dict, 0, &buf, &len, &err), JLP_E_UNSUPPORTED);
    CHECK(strstr(err.msg, "\"a\"") != NULL);
    jlp_val *dt = jlp_new_dtype(d, "<i4", &err);
    int32_t v[2] = {1, 2};
    uint64_t shape = 2;
    jlp_val *arr = jlp_new_array(d, dt, 1, &shape, 'C', v, sizeof v, JLP_COPY, &err);
    jlp_list_append(d, list, arr);
    jlp_list_append(d, list, arr);
    CHECK_INT(jlp_dump_npz_mem(list, 1, &buf, &len, &err), JLP_OK);
    jlp_doc *back = jlp_load_mem(buf, len, NULL, NULL, &err);
    CHECK(back != NULL);
    if (back) CHECK(jlp_dict_get(jlp_doc_root(back), "arr_1") != NULL);
    jlp_doc_free(back);
    free(buf);
    /* a lone array: arr_0 */
    CHECK_INT(jlp_dump_npz_mem(arr, 0, &buf, &len, &err), JLP_OK);
    back = jlp_load_mem(buf, len, NULL, NULL, &err);
    if (back) CHECK_INT(jlp_len(jlp_doc_root(back)), 1);
    jlp_doc_free(back);
    free(buf);
    CHECK_INT(jlp_dump_npz_path(arr, "", 0, &err), JLP_E_INVALID_ARG);
    jlp_doc_free(d);
}

/* The scan of every golden archive (jlp_scan_path): the checkpoints torch.load
 * (weights_only=True) reads, the .npz files and the bundles of safe models are safe; a
 * pickled whole module (its classes are imported), TorchScript (code) and the bundles
 * holding a link are suspicious; every member reads. */
TEST(scan_of_the_golden_archives) {
    size_t mlen;
    char *manifest = slurp(path_of("MANIFEST", ""), &mlen);
    if (!manifest) {
        TH_FAIL("cannot read %s", path_of("MANIFEST", ""));
        return;
    }
    for (char *name = strtok(manifest, "\n"); name; name = strtok(NULL, "\n")) {
        if (!strcmp(name, "t_legacy.pt")) continue; /* a pickle, not an archive */
        jlp_error err;
        jlp_scan_report *r = jlp_scan_path(path_of(name, ""), NULL, &err);
        if (!r) {
            TH_FAIL("%s: %s: %s", name, jlp_error_name(err.code), err.msg);
            continue;
        }
        /* a whole nn.Module (t_module.pt) is safe: rules_gen.h's reviewed torch rules */
        int suspicious = !strcmp(name, "t_script.pt") || !strncmp(name, "b_model.t", 9);
        jlp_verdict want = suspicious ? JLP_VERDICT_SUSPICIOUS : JLP_VERDICT_SAFE;
        if (jlp_report_verdict(r) != want)
            TH_FAIL("%s: %s, expected %s", name, jlp_verdict_name(jlp_report_verdict(r)), jlp_verdict_name(want));
        if (jlp_report_error(r)) TH_FAIL("%s: %s", name, jlp_report_error(r)->msg);
        CHECK(jlp_report_member_count(r) > 0);
        int torch = name[0] == 't';
        size_t records = 0;
        for (size_t i = 0; i < jlp_report_member_count(r); i++) {
            const jlp_scan_member *m = jlp_report_member(r, i);
            CHECK_INT(m->error, JLP_OK);
            if (!strcmp(m->content, "torch-record")) records++;
        }
        if (torch && records == 0) TH_FAIL("%s: no member read in the torch reading", name);
        jlp_report_free(r);
    }
    free(manifest);
}
