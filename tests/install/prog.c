/* prog.c - a program built against an installed libjlpickle with pkg-config: it loads
 * the pickle given as argument and prints its JSON export. */
#include <jlpickle.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    jlp_error err;
    jlp_doc *doc = jlp_load_path(argv[1], NULL, &err);
    if (!doc) {
        fprintf(stderr, "%s: %s\n", jlp_error_name(err.code), err.msg);
        return 1;
    }
    int rc = jlp_export_json_file(jlp_doc_root(doc), NULL, stdout, &err) == JLP_OK ? 0 : 1;
    jlp_doc_free(doc);
    printf("linked %s, header %s\n", jlp_version_string(), JLP_VERSION_STRING);
    return rc;
}
