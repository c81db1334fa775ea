/*
 * vm.h - the unpickler's state, shared between the opcode loop (reader.c) and the
 * native reconstructors of allowlisted globals (reconstruct.c), joblib's wrappers and
 * companion files (joblib.c, companion.c). pickle/ may use every layer below it; numpy/
 * code gets the small context jlp__vm_np makes, never the VM.
 */
#ifndef JLP_VM_H
#define JLP_VM_H

#include "../io/source.h"
#include "../numpy/numpy.h"
#include "../value/doc.h"
#include "memo.h"

/* Whose reading of the bytes the machine follows. jlp_load reads the documented format
 * (spec/FORMAT.md); the safety scan also runs the machine as each Python loader reads the
 * same bytes (spec/SAFETY.md section 3), accepting what Python accepts where the format
 * is stricter and leaving every effect to the scan's judgement. */
typedef enum jlp__mode {
    JLP__MODE_LOAD = 0,
    JLP__MODE_JOBLIB,    /* joblib.load: pickle.py, payloads read as joblib reads them */
    JLP__MODE_COMPAT,    /* joblib's loader of ZF files: pickle.py, only NDArrayWrapper */
    JLP__MODE_PICKLE,    /* pickle.load: _pickle.c, no payloads */
    JLP__MODE_PICKLE_PY, /* pickle._Unpickler: no payloads */
    JLP__MODE_NUMPY      /* numpy.load(allow_pickle=True) of a companion or .npy: _pickle.c */
} jlp__mode;

/* A joblib wrapper's BUILD, read as joblib reads it (scan readings). */
typedef struct jlp__wrapper_event {
    uint64_t offset;          /* of the BUILD */
    int depth;
    int kind;                 /* 1 NumpyArrayWrapper, 2 NDArrayWrapper, 3 ZNDArrayWrapper */
    const jlp_val *wrapper;   /* the object */
    const jlp_val *attrs;     /* the attributes joblib reads: init arguments and every
                                 state merged (a dict with unique str keys) */
    uint64_t data_start;      /* bytes joblib reads as array data, pad included */
    uint64_t data_end;
    bool nested;              /* an object array: a nested pickle starts at data_start */
} jlp__wrapper_event;

/* What the safety scan is told besides the trace events; any member may be NULL. */
typedef struct jlp__scan_hooks {
    void *ctx;
    /* the two CPython unpicklers read the opcode at `offset` differently */
    void (*differs)(void *ctx, uint64_t offset, int depth, const char *what);
    /* a joblib wrapper's BUILD */
    void (*wrapper)(void *ctx, const jlp__wrapper_event *w);
    /* any BUILD, before its state is applied */
    void (*build)(void *ctx, uint64_t offset, int depth, const jlp_val *target, const jlp_val *state);
} jlp__scan_hooks;

typedef struct jlp__vm {
    jlp_source *src;
    jlp_doc *doc;
    const jlp_read_opts *opts;
    const jlp_limits *lim;
    const jlp_alc *alc;
    jlp_error *err;

    jlp_val **stack;
    size_t sp, stack_cap;
    size_t *marks;       /* stack heights at each open MARK */
    size_t nmarks, marks_cap;
    size_t fence;        /* values below this height belong to an enclosing MARK */
    jlp__memo memo;

    int proto;           /* from PROTO; 0 when absent */
    bool proto_seen;
    bool in_frame;
    uint64_t frame_end;  /* absolute offset where the current frame ends */
    uint64_t op_off;     /* offset of the opcode being executed */
    int op;
    uint64_t start;      /* offset of the first opcode */
    size_t next_buffer;  /* next out-of-band buffer for NEXT_BUFFER */
    bool nested;         /* an object array's payload: joblib wrappers stay inert */
    uint64_t ops;        /* opcodes executed */
    jlp_val *result;     /* what STOP returned */
    /* trace bookkeeping for the opcode being executed */
    int64_t ev_memo;
    const jlp_val *ev_value, *ev_callable;
    int depth;           /* 0 outer, 1 nested */
    /* whose reading (see jlp__mode) */
    jlp__mode mode;
    bool c_rules;        /* _pickle.c's rules for text numbers, frames and BUILD; else
                            pickle.py's */
    bool lenient;        /* a scan reading: what Python accepts is accepted */
    const jlp__scan_hooks *hooks;
    uint64_t after_frame;/* JOBLIB: payload bytes joblib read from past the current frame,
                            skipped when the frame ends */
    char *scratch;       /* text-number parsing */
    size_t scratch_cap;
    /* the current opcode's argument bytes, for the trace (jlp_event.arg) */
    bool tracing;
    uint8_t *argbuf;
    size_t arg_len, arg_cap;
    const jlp_val *ev_args, *ev_kwargs;
    /* the fast path's REDUCE and numpy scalar runs (reader.c): the last global nodes
     * found to be _codecs.encode, numpy's scalar and builtins.complex, and the last str
     * found to be 'latin1', so that a memoised one is known by its address */
    const jlp_val *fast_encode, *fast_scalar, *fast_complex, *fast_latin1;
} jlp__vm;

/** Tell the scan's hook (if any) that the two unpicklers differ at the current opcode. */
void jlp__vm_differs(jlp__vm *m, const char *what);

/** Tell the trace callback (if any) about an event. @return JLP_OK or the stop error. */
jlp_code jlp__vm_event(jlp__vm *m, jlp_event_kind kind, uint64_t offset, uint64_t length);

/** Report `code` at the current opcode. @return code. */
jlp_code jlp__vm_fail(jlp__vm *m, jlp_code code, const char *fmt, ...) JLP_PRINTF(3, 4);
/** Report an allocation failure (NOMEM, or LIMIT when limits.max_alloc was hit). */
jlp_code jlp__vm_nomem(jlp__vm *m);

/** Read `n` raw bytes (an array payload, outside any frame): for memory sources a
 *  pointer into the input (*borrowed = true), otherwise a copy in the document. */
jlp_code jlp__vm_read_raw(jlp__vm *m, uint64_t n, const uint8_t **out, bool *borrowed);
/** Load the complete pickle that starts at the current position (an object array's
 *  payload) with a fresh stack and memo, into the same document. */
jlp_code jlp__vm_nested(jlp__vm *m, jlp_val **root);
/** The same, reading from another source (a companion file). */
jlp_code jlp__vm_nested_src(jlp__vm *m, jlp_source *src, jlp_val **root);

/** REDUCE of `callable` with the tuple `args`: rebuild allowlisted globals natively,
 *  otherwise make an inert JLP_OBJ_REDUCE object. @return JLP_OK with *out set. */
jlp_code jlp__reduce(jlp__vm *m, jlp_val *callable, jlp_val *args, jlp_val **out);

/** Whether the str `v` is "latin1" or "latin-1" (the encoding argument Python's
 *  pickler writes for bytes below protocol 3). */
bool jlp__is_latin1_name(const jlp_val *v);
/** _codecs.encode(s, 'latin1'): the UTF-8 str `s` encoded as Latin-1 into a new node of
 *  type t (JLP_BYTES or JLP_BYTEARRAY). @return the node; NULL with *inert = true when a
 *  code point is above U+00FF (the call then stays inert), NULL alone when out of
 *  memory. */
jlp_val *jlp__latin1_encode(jlp_doc *doc, const jlp_val *s, jlp_type t, bool *inert);

/** The context numpy code reports through (numpy/numpy.h): this load's document, error,
 *  options and limits, and the opcode being executed. Made for each call into numpy/,
 *  since the opcode moves on. */
static inline jlp__np jlp__vm_np(const jlp__vm *m) {
    jlp__np np = {m->doc, m->err, m->opts, m->lim, m->op, m->op_off, m->src && m->src->layer, m->lenient, 0};
    return np;
}

/** BUILD on joblib's NumpyArrayWrapper / NDArrayWrapper / ZNDArrayWrapper (joblib.c):
 *  read the payload and replace the wrapper on the stack with the array. @return JLP_OK
 *  with *handled = false when `target` is not a joblib wrapper. */
jlp_code jlp__joblib_build(jlp__vm *m, jlp_val *target, jlp_val *state, bool *handled);
/** NDArrayWrapper (zf = false: a .npy companion) and ZNDArrayWrapper (zf = true: a ZF
 *  companion of raw bytes) of joblib <= 0.9 (companion.c). */
jlp_code jlp__companion_build(jlp__vm *m, jlp_val *state, bool zf, jlp_val **out);

/** Raise JLP_WARN_UNHASHABLE_KEY when a key among kv[0], kv[step], ... (n values) is
 *  something Python could not hash. */
void jlp__note_keys(jlp__vm *m, jlp_val *const *kv, size_t n, size_t step);

/** Apply Python 3's renaming of Python 2 names (protocol < 3 streams), in place. */
void jlp__compat_name(const char **mod, size_t *mod_len, const char **name, size_t *name_len);
/** The reverse, as Python's pickler applies it when writing protocols < 3. */
void jlp__compat_reverse(const char **mod, size_t *mod_len, const char **name, size_t *name_len);

/** What one load reads: a pickle (body NULL), or another format whose `body` reads it
 *  from m->src into m->result (a .npy file: jlp__npy_body); such input is never inside
 *  a container, and the document's container is named `container`. */
typedef struct jlp__load_how {
    jlp_code (*body)(jlp__vm *m, const struct jlp__load_how *how);
    const char *container;
    jlp__mode mode;                 /* JLP__MODE_LOAD for the public loaders */
    const jlp__scan_hooks *hooks;   /* the safety scan's, or NULL */
} jlp__load_how;

/** Load one pickle or .npy file from `src` with resolved options (common/opts.h) into a
 *  new document: the body of every public loader (load.c). */
jlp_doc *jlp__load_resolved(jlp_source *src, const jlp_read_opts *opts, const jlp__load_how *how,
                            jlp_error *err);
/** Load one pickle or .npy file from `src` into the existing document `doc` (its root
 *  is left alone; *root receives the value loaded): how archive/ gathers the arrays of an
 *  .npz into one document. Doc-level facts (protocol, container...) are not set.
 *  @return JLP_OK or the error (the document keeps what was allocated). */
jlp_code jlp__load_into(jlp_doc *doc, jlp_source *src, const jlp_read_opts *opts, const jlp__load_how *how,
                        jlp_val **root, jlp_error *err);
/** The body that reads a .npy file (npy.c): header, then the data (borrowed from memory
 *  sources) or an object array's pickle. */
jlp_code jlp__npy_body(jlp__vm *m, const jlp__load_how *how);

/** jlp_load_mem and jlp_load_path for a pickle or joblib file (the archive layer's
 *  entry points call these once they know the input is not an archive). */
jlp_doc *jlp__load_mem_pickle(const void *data, size_t len, const jlp_read_opts *opts,
                              size_t *consumed, jlp_error *err);
jlp_doc *jlp__load_path_pickle(const char *path, const jlp_read_opts *opts, jlp_error *err);
/* A one-shot load of a pickle from src (a path source archive/load.c sniffed; opts
 * resolved); frees src. */
jlp_doc *jlp__load_source_pickle(jlp_source *src, const jlp_read_opts *opts, jlp_error *err);
/* The same for a memory source jlp_load_mem sniffed, which also says how many bytes the
 * pickle took (*consumed, when not NULL; 0 on failure). */
jlp_doc *jlp__load_mem_source_pickle(jlp_source *src, const jlp_read_opts *opts, size_t *consumed,
                                     jlp_error *err);

struct jlp__sink;
/** Write `root` as a pickle into `sink` (writer.c). */
jlp_code jlp__write(struct jlp__sink *sink, const jlp_val *root, const jlp_write_opts *o, jlp_error *err);

#endif
