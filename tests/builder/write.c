/*
 * write.c OUTDIR - values made with the newer constructors, written at every protocol
 * for tests/builder/check.py to load with Python's pickle and numpy:
 *
 *   persid_pP.pkl   [persid("blob-1"), persid(7), 3] (protocol 0 only the str one)
 *   ext_pP.pkl      [ext(300), ext(70000)]                    protocols 2-5
 *   newobj_ex_pP.pkl   builder_classes.C(*(1,), k=2) with state {"x": 5}    protocols 0-5
 *   objarr_f_pP.pkl    object array [[1, "a"], [None, 2.5]] in Fortran order, 0-5
 *   attrs_pP.pkl    an object whose attributes were set, deleted and read back
 *
 * Prints one line per file written; exit status 1 on any failure.
 */
#include <jlpickle.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void write(jlp_doc *d, jlp_val *root, const char *dir, const char *name, int proto) {
    jlp_error err;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_p%d.pkl", dir, name, proto);
    jlp_write_opts o = JLP_WRITE_OPTS_INIT;
    o.protocol = proto;
    o.arrays = JLP_ARRAYS_NUMPY;
    if (jlp_doc_error(d, &err) != JLP_OK || jlp_dump_path(root, path, &o, &err) != JLP_OK) {
        fprintf(stderr, "%s: %s: %s\n", path, jlp_error_name(err.code), err.msg);
        failures++;
        return;
    }
    printf("%s\n", path);
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    const char *dir = argv[1];
    jlp_error err;
    for (int p = 0; p <= 5; p++) {
        jlp_doc *d = jlp_doc_new(NULL);
        /* persistent ids: a str one at every protocol, any value from protocol 1 */
        jlp_val *items[3] = {jlp_new_persid(d, jlp_new_strz(d, "blob-1")), jlp_new_persid(d, jlp_new_int(d, 7)),
                             jlp_new_int(d, 3)};
        jlp_val *list = jlp_new_list(d);
        for (int i = 0; i < 3; i++)
            if (p > 0 || i != 1) jlp_list_append(d, list, items[i]);
        write(d, list, dir, "persid", p);
        /* extension codes (EXT2 and EXT4) */
        if (p >= 2) {
            jlp_val *ext = jlp_new_list(d);
            jlp_list_append(d, ext, jlp_new_ext(d, 300));
            jlp_list_append(d, ext, jlp_new_ext(d, 70000));
            write(d, ext, dir, "ext", p);
        }
        /* NEWOBJ_EX keyword arguments, and a state */
        jlp_val *one = jlp_new_int(d, 1);
        jlp_val *kw = jlp_new_dict(d), *state = jlp_new_dict(d);
        jlp_dict_set_str(d, kw, "k", jlp_new_int(d, 2));
        jlp_dict_set_str(d, state, "x", jlp_new_int(d, 5));
        jlp_val *obj = jlp_new_object_ex(d, jlp_new_global(d, "builder_classes", "C"), jlp_new_tuple(d, &one, 1),
                                         kw, state);
        write(d, obj, dir, "newobj_ex", p);
        /* a Fortran-ordered object array */
        uint64_t shape[2] = {2, 2};
        jlp_val *el[4] = {jlp_new_int(d, 1), jlp_new_strz(d, "a"), jlp_new_none(d), jlp_new_float(d, 2.5)};
        write(d, jlp_new_object_array_ex(d, 2, shape, 'F', el, &err), dir, "objarr_f", p);
        /* attributes edited on a loaded-like object */
        jlp_val *st = jlp_new_dict(d);
        jlp_val *a = jlp_new_object(d, jlp_new_global(d, "builder_classes", "D"), NULL, st);
        jlp_obj_set_attr(d, a, "kept", jlp_new_strz(d, "yes"));
        jlp_obj_set_attr(d, a, "gone", jlp_new_int(d, 1));
        jlp_obj_set_attr(d, a, "n", jlp_new_int(d, 1));
        jlp_obj_set_attr(d, a, "n", jlp_new_int(d, 2)); /* replaced, not added */
        jlp_obj_del_attr(d, a, "gone");
        write(d, a, dir, "attrs", p);
        jlp_doc_free(d);
    }
    return failures ? 1 : 0;
}
