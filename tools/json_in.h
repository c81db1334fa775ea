/*
 * json_in.h - a small JSON reader for the tools: parses a whole text into a tree of
 * nodes that point back into the text (so a subtree prints as its exact source slice).
 * The parser and every walk over the tree are iterative: nesting depth costs heap,
 * never C stack. Errors name the line and column.
 */
#ifndef JLP_JSON_IN_H
#define JLP_JSON_IN_H

#include <stddef.h>
#include <stdint.h>

typedef enum jv_kind { JV_NULL, JV_FALSE, JV_TRUE, JV_NUM, JV_STR, JV_ARR, JV_OBJ } jv_kind;

typedef struct jv {
    jv_kind kind;
    size_t start, end;   /**< the node's text is text[start, end) */
    size_t n;            /**< JV_ARR: items; JV_OBJ: (key, value) pairs */
    struct jv *kids;     /**< JV_ARR: n items; JV_OBJ: 2n nodes, key then value */
    void *user;          /**< free for the caller (NULL after parsing) */
} jv;

/** Parse text[0, len) (exactly one JSON value, surrounding white space allowed).
 *  @return the root, or NULL with "LINE:COL: message" in err. */
jv *jv_parse(const char *text, size_t len, char *err, size_t errcap);
/** Free a tree from jv_parse (iteratively). NULL is ignored. */
void jv_free(jv *root);
/** Line and column (1-based, columns in bytes) of byte `off` of text. */
void jv_linecol(const char *text, size_t off, unsigned long *line, unsigned long *col);
/** The decoded bytes of a JV_STR (malloc()ed, NUL-terminated, length in *len). Every
 *  \udxxx escape becomes the three-byte form ED A0 80..ED BF BF, as spec/JSON.md
 *  writes lone surrogates. @return NULL on allocation failure. */
char *jv_str(const char *text, const jv *s, size_t *len);
/** 1 if the JV_STR `s` decodes to exactly key[0, klen). */
int jv_str_eq(const char *text, const jv *s, const char *key, size_t klen);
/** The value of key `key` (NUL-terminated) in a JV_OBJ, or NULL. */
jv *jv_get(const char *text, const jv *obj, const char *key);
/** If `obj` is an object with exactly one key starting with '$', @return that key's
 *  value and set *tag to the key's text without quotes (not NUL-terminated; *taglen);
 *  else NULL. */
jv *jv_tag(const char *text, const jv *obj, const char **tag, size_t *taglen);

/** One RFC 6901 reference token, decoded (~0 ~1 undone); malloc()ed. */
typedef struct jv_token { char *s; size_t len; } jv_token;
/** Split a JSON pointer ("" or "/a/b") into tokens. @return the count, or -1 for a
 *  pointer not starting with '/' (or allocation failure). *toks is malloc()ed. */
long jv_pointer_split(const char *ptr, size_t len, jv_token **toks);
void jv_tokens_free(jv_token *toks, long n);
/** Parse a decimal array index token ("0", "17"; no leading zeros). @return 0 or -1. */
int jv_token_index(const jv_token *t, uint64_t *out);
/** Follow tokens from `node`. @return the node reached or NULL. */
jv *jv_follow(const char *text, jv *node, const jv_token *toks, long n);

#endif
