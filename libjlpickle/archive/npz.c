/*
 * npz.c - numpy's .npz archives: a zip of .npy files (numpy.savez, savez_compressed).
 */
#include "archive.h"

jlp_doc *jlp__npz_load(jlp_archive *ar, const jlp_read_opts *opts, jlp_error *err) {
    (void)ar;
    (void)opts;
    jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1, "an .npz archive: its .npy members cannot be read yet");
    return NULL;
}
