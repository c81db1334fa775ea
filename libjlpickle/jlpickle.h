/*
 * jlpickle.h - libjlpickle, a reader and writer of Python pickles and joblib files
 * that never executes anything.
 *
 * Copyright (c) 2026 The libjlpickle authors. BSD-3-Clause, see LICENSE.
 *
 * This header is the manual. Read it top to bottom once:
 *
 *   1. Version and ABI  what stays stable, growable structs
 *   2. Errors           jlp_error, pinned codes, jlp_error_name(), jlp_strerror()
 *   3. Allocation       jlp_alc hooks
 *   4. Read options     jlp_limits, jlp_read_opts
 *   5. Sources          where bytes come from (memory, path, fd, FILE*, callback)
 *   6. Loading          jlp_load(), one pickle per call; convenience one-shot loaders
 *   7. Documents        jlp_doc: owns every value of one load
 *   8. Values           jlp_val: types, NULL-tolerant accessors, iterators
 *   9. numpy values     arrays, dtypes, scalars
 *  10. Building         new documents and editing loaded ones
 *  11. Writing          pickles and joblib files, compressed or not, atomically
 *  12. JSON export      the mapping of spec/JSON.md
 *  13. .npy files       numpy's array files, read and written
 *  14. Archives         zip and tar bundles, .npz, PyTorch checkpoints
 *
 * Model: a load produces a jlp_doc. The doc owns an arena holding every value node,
 * string and byte payload; values (jlp_val *) stay valid until jlp_doc_free(). The
 * loaded value is a graph, not a tree: a memo reference returns the very same node,
 * and a pickle may build cycles. Every traversal in the library is iterative and
 * cycle-aware; nothing recurses on input-controlled depth.
 *
 * Nothing named in a pickle is ever imported or called. Globals stay inert
 * JLP_GLOBAL nodes; calls of them stay inert JLP_OBJECT nodes (callable + args +
 * state + items). An exact allowlist of (module, qualname) pairs that Python's
 * pickler itself emits for built-in types is rebuilt natively (see jlp_load()).
 *
 * Thread safety, unless a function says otherwise: functions without a jlp_doc or
 * source argument are thread-safe. Different documents and sources may be used from
 * different threads at once. One document may be read (accessors, export) from many
 * threads at once as long as nobody modifies or frees it. The library has no mutable
 * global state.
 */
#ifndef JLPICKLE_H
#define JLPICKLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(JLP_BUILDING_SHARED)
#  define JLP_API __declspec(dllexport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define JLP_API __attribute__((visibility("default")))
#else
#  define JLP_API
#endif

/* =====================================================================================
 * 1. Version
 * ===================================================================================== */

#define JLP_VERSION_MAJOR 0
#define JLP_VERSION_MINOR 1
#define JLP_VERSION_PATCH 0
#define JLP_VERSION_NUMBER (JLP_VERSION_MAJOR * 10000 + JLP_VERSION_MINOR * 100 + JLP_VERSION_PATCH)
#define JLP_VERSION_STRING "0.1.0"

/** @return JLP_VERSION_NUMBER of the library actually linked (compare with the macro
 *  to detect a header/library mismatch). Thread-safe. */
JLP_API unsigned jlp_version_number(void);
/** @return "MAJOR.MINOR.PATCH" of the linked library; static storage. Thread-safe. */
JLP_API const char *jlp_version_string(void);

/* ABI: what a program built against this header can rely on while the soname stays
 * the same (changing any of it means a new soname).
 *
 * Stable: the signature and documented results of every JLP_API function; the values
 * of enum constants, error codes (JLP_ERROR_TABLE) and JLP_WARN_* bits (new ones are
 * appended); the layout of the frozen structs jlp_error, jlp_alc, jlp_buffer, jlp_iter
 * and the codec buffers jlp_inbuf, jlp_outbuf. jlp_doc, jlp_val, jlp_source and
 * jlp_registry are opaque: use them only through functions. Codec plug-ins are
 * versioned by jlp_codec.abi_version (jlpickle_codec.h).
 *
 * Growable: structs whose first member is `size_t size`. Fields are only ever appended
 * to them, so `size` tells which fields a program knows.
 *   - Options the library reads (jlp_limits, jlp_read_opts, jlp_write_opts,
 *     jlp_json_opts): start from the _INIT macro or the _init function, which set
 *     `size` to sizeof the struct as this header declares it and every field to its
 *     default, then change fields by name. The library reads only the fields inside
 *     `size` and takes its own defaults for the others, so a program built against an
 *     older header keeps working with a newer library. A struct from a newer header is
 *     accepted by an older library when the fields it does not know are zero, and
 *     refused with JLP_E_UNSUPPORTED otherwise (an option that was asked for is never
 *     silently ignored). A `size` below sizeof(size_t) or above 4096 is refused with
 *     JLP_E_INVALID_ARG.
 *   - Out-structs the library fills (jlp_array_info, jlp_view): initialise them with
 *     their _INIT macro; the library writes only the fields inside `size`.
 *   - Structs the library hands to a callback (jlp_event) carry the library's `size`:
 *     test JLP_HAS_FIELD before reading a field added after the version a program
 *     requires.
 * Nested options are reached through pointers (jlp_read_opts.limits), so growing one
 * struct never moves the fields of another. Set `size` only to sizeof the struct. */

/** Whether the growable struct at `ptr` (of type `type`) holds `field`, by its size. */
#define JLP_HAS_FIELD(ptr, type, field) \
    ((ptr)->size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* =====================================================================================
 * 2. Errors
 *
 * Every call that can fail takes `jlp_error *err` as its last argument. It may be NULL
 * when the caller does not want details. On failure the struct is filled; on success it
 * is left with code JLP_OK. Codes are pinned: their numeric values never change between
 * releases, new codes are only appended.
 *
 * NULL values after a failed lookup. The calls that read a value and report through
 * `err` (jlp_at, jlp_at_prefix, jlp_as_*, jlp_array_as, jlp_array_field, jlp_array_str,
 * jlp_array_copy_native, the jlp_dump_* and jlp_export_json* calls of a value, and the
 * dtype of jlp_new_array, jlp_new_scalar and jlp_new_dtype_copy) can be chained: given
 * a NULL value with an `err` that already holds an error, they keep that error as it
 * is (code, offset, message) and return its code, so
 *     jlp_as_int64(jlp_at(model, "/n_features_in_", &err), &n, &err)
 * reports jlp_at's NOT_FOUND with the failing segment, not a type error. Given a NULL
 * value with an `err` that holds JLP_OK (or a NULL err), they fail with INVALID_ARG
 * "NULL value". An `err` passed with a NULL value is read, so it must come from an
 * earlier call or JLP_ERROR_INIT, not be left uninitialised (a code outside the table is
 * taken as no error). The accessors without `err` (jlp_len, jlp_item, jlp_dict_get,
 * jlp_obj_attr...) return 0 or NULL for NULL and leave any error where it is.
 * ===================================================================================== */

/* X(NAME, value, description) */
#define JLP_ERROR_TABLE(X)                                                                 \
    X(OK,              0,  "no error")                                                     \
    X(NOMEM,           1,  "out of memory")                                                \
    X(INVALID_ARG,     2,  "invalid argument")                                             \
    X(IO,              3,  "I/O error")                                                    \
    X(TRUNCATED,       4,  "input ended before the value was complete")                    \
    X(BAD_OPCODE,      5,  "unknown opcode")                                               \
    X(BAD_PROTO,       6,  "unsupported pickle protocol")                                  \
    X(STACK_UNDERFLOW, 7,  "unpickling stack underflow")                                   \
    X(NO_MARK,         8,  "no MARK on the stack")                                         \
    X(BAD_TYPE,        9,  "operand has the wrong type")                                   \
    X(MEMO_MISSING,    10, "memo key not defined")                                         \
    X(BAD_VALUE,       11, "malformed opcode argument")                                    \
    X(BAD_UTF8,        12, "invalid UTF-8")                                                \
    X(FRAME,           13, "pickle frame violation")                                       \
    X(LIMIT,           14, "a configured limit was exceeded")                              \
    X(NO_BUFFER,       15, "out-of-band buffer not supplied")                              \
    X(UNKNOWN_FORMAT,  16, "input is neither a pickle nor a known container")              \
    X(CODEC_MISSING,   17, "compressor recognised but not available in this build")        \
    X(CORRUPT,         18, "compressed stream is corrupt")                                 \
    X(CHECKSUM,        19, "checksum mismatch")                                            \
    X(TRAILING,        20, "unexpected bytes after the end of the stream")                 \
    X(BAD_ARRAY,       21, "malformed array description or payload")                       \
    X(BAD_DTYPE,       22, "malformed numpy dtype")                                        \
    X(MMAP,            23, "memory mapping failed or not possible")                        \
    X(UNALIGNED,       24, "array payload is not aligned as required")                     \
    X(PATH,            25, "refused companion file name")                                  \
    X(UNSUPPORTED,     26, "valid input that this operation does not support")             \
    X(CYCLE,           27, "value graph has a cycle where none is allowed")              \
    X(RANGE,           28, "value does not fit the requested type exactly")              \
    X(NOT_FOUND,       29, "no value at the requested key, index or path")               \
    X(ARCHIVE,         30, "malformed or inconsistent archive")                          \
    X(MEMBER,          31, "archive member not found, ambiguous or not readable")

typedef enum jlp_code {
#define JLP_X_ENUM(name, value, text) JLP_E_##name = value,
    JLP_ERROR_TABLE(JLP_X_ENUM)
#undef JLP_X_ENUM
    JLP_E__COUNT
} jlp_code;

#define JLP_OK JLP_E_OK

/** Details of a failure. `offset` is the byte of the decoded (uncompressed) pickle
 *  stream where the faulty opcode or field starts; `input_offset` the byte of the
 *  input (the compressed file, for compressed input; equal to `offset` otherwise), or
 *  UINT64_MAX when unknown. `opcode` is the opcode byte being executed, or -1. */
typedef struct jlp_error {
    jlp_code code;
    int opcode;
    uint64_t offset;
    uint64_t input_offset;
    char msg[160];
} jlp_error;
/** A jlp_error holding no error, for a struct that may reach a call before any call has
 *  filled it: `jlp_error err = JLP_ERROR_INIT;`. */
#define JLP_ERROR_INIT { JLP_E_OK, -1, 0, 0, "" }

/** @return the stable upper-case name of `code` without prefix ("TRUNCATED"), or
 *  "UNKNOWN" for a value outside the table. Static storage. Thread-safe. */
JLP_API const char *jlp_error_name(jlp_code code);
/** @return a one-line English description of `code`. Static storage. Thread-safe. */
JLP_API const char *jlp_strerror(jlp_code code);

/* =====================================================================================
 * 3. Allocation
 *
 * Every allocation the library makes goes through a jlp_alc. Pass NULL wherever one is
 * asked for to use malloc/realloc/free. The hooks receive the sizes, so an allocator can
 * account without headers. Hooks are called from whichever thread uses the object they
 * allocate for; they must be thread-safe if the caller shares one jlp_alc between
 * threads. (The default maps blocks of 2 MiB or more itself, for huge pages, and keeps up
 * to 8 MiB of freed blocks from 64 KiB to 2 MiB for reuse by the next document, so that
 * loading the same model again does not fault fresh pages in; it is thread-safe.)
 * ===================================================================================== */

typedef struct jlp_alc {
    void *(*malloc)(void *ctx, size_t size);
    void *(*realloc)(void *ctx, void *ptr, size_t old_size, size_t new_size);
    void (*free)(void *ctx, void *ptr, size_t size);
    void *ctx;
} jlp_alc;

/* =====================================================================================
 * 4. Read options and limits
 *
 * The defaults are safe for untrusted input (memory and time stay bounded by a small
 * multiple of the input size) and generous for real files. A limit that is exceeded
 * fails the load with JLP_E_LIMIT and the offset of the opcode that crossed it. A limit
 * of 0 means "no limit" for the 64-bit fields.
 * ===================================================================================== */

typedef struct jlp_limits {
    size_t size;               /**< sizeof(jlp_limits): set by JLP_LIMITS_INIT */
    uint64_t max_ops;          /**< opcodes executed per load (default 1<<30) */
    uint64_t max_depth;        /**< MARKs open at once (default 100000) */
    uint64_t max_stack;        /**< values on the unpickler stack (default 1<<26) */
    uint64_t max_memo;         /**< memo entries (default 1<<26) */
    uint64_t max_str;          /**< bytes of one str/bytes/bytearray/line (default 1<<31) */
    uint64_t max_bigint_digits;/**< decimal digits of a text INT/LONG (default 4300, the
                                    limit Python applies); LONG1/LONG4 obey max_str */
    uint64_t max_alloc;        /**< bytes the document may allocate (default 8 GiB) */
    uint64_t max_decoded;      /**< bytes a compressed input may decode to (default 1<<40) */
    uint64_t max_ratio;        /**< decoded/compressed ratio once past 64 MiB decoded
                                    (default 0: off) */
} jlp_limits;

/** How py2 `str` values (STRING, BINSTRING, SHORT_BINSTRING opcodes) load. */
typedef enum jlp_py2str {
    JLP_PY2STR_AUTO = 0,   /**< str when every byte is ASCII, else bytes (default) */
    JLP_PY2STR_BYTES = 1,  /**< always bytes */
    JLP_PY2STR_LATIN1 = 2, /**< always str, bytes taken as Latin-1 */
    JLP_PY2STR_ASCII = 3   /**< str; a non-ASCII byte fails with JLP_E_BAD_VALUE, as Python 3 */
} jlp_py2str;

/** A caller-supplied out-of-band buffer (PEP 574) for NEXT_BUFFER. The bytes are
 *  borrowed: they must outlive the document. */
typedef struct jlp_buffer {
    const void *data;
    size_t len;
    int readonly;          /**< nonzero: loads as bytes; zero: loads as bytearray */
} jlp_buffer;

struct jlp_registry; /* jlpickle_codec.h */
struct jlp_archive_opts; /* section 13 */
typedef struct jlp_val jlp_val;

/** What a trace callback is told about (see jlp_read_opts.trace). */
typedef enum jlp_event_kind {
    JLP_EV_OPCODE = 0,  /**< an opcode was executed */
    JLP_EV_PAYLOAD = 1, /**< raw array bytes after a joblib wrapper (padding included) */
    JLP_EV_NESTED = 2   /**< a nested pickle (object array payload) starts; its opcodes
                             follow with depth + 1 */
} jlp_event_kind;

typedef struct jlp_event {
    size_t size;            /**< sizeof(jlp_event) in the library that made it (growable;
                                 see JLP_HAS_FIELD) */
    jlp_event_kind kind;
    int opcode;             /**< opcode byte; -1 for payloads */
    int depth;              /**< 0 for the outer pickle, 1 inside an object array's */
    uint64_t offset;        /**< decoded-stream offset of the opcode or payload */
    uint64_t length;        /**< bytes the opcode occupied with its argument, or the
                                 payload length */
    const char *name;       /**< pickletools name ("SHORT_BINUNICODE"), NULL for payloads */
    const jlp_val *value;   /**< the value the opcode produced or used (the str of
                                 SHORT_BINUNICODE, the global of STACK_GLOBAL, the result
                                 of REDUCE/BUILD...), or NULL */
    const jlp_val *callable;/**< REDUCE/NEWOBJ/NEWOBJ_EX/OBJ/INST/BUILD: the callable or
                                 class involved (usually a JLP_GLOBAL), else NULL */
    int64_t memo;           /**< PUT/BINPUT/LONG_BINPUT/MEMOIZE/GET/BINGET/LONG_BINGET:
                                 the memo key; -1 otherwise */
    uint64_t stack_depth;   /**< values on the stack after the opcode */
    uint64_t marks;         /**< open MARKs after the opcode */
    const jlp_val *args;    /**< REDUCE/NEWOBJ/NEWOBJ_EX/OBJ/INST: the argument tuple the
                                 callable receives; BUILD: the state; else NULL */
    const jlp_val *kwargs;  /**< NEWOBJ_EX: the keyword arguments (a dict), else NULL */
    const uint8_t *arg;     /**< the opcode's argument as the stream holds it: a fixed-size
                                 argument, the line (GLOBAL and INST: both lines) with
                                 its '\n', or a counted argument's length field (its
                                 bytes are `value`); NULL when the opcode has none */
    size_t arg_len;
} jlp_event;

/** @return 0 to continue, nonzero to stop the load (it fails with JLP_E_INVALID_ARG
 *  "stopped by the trace callback"). The event and its values are valid only during
 *  the call. */
typedef int (*jlp_trace_fn)(void *ctx, const jlp_event *ev);

/** What follows an opcode byte in the stream. */
typedef enum jlp_arg_kind {
    JLP_ARG_NONE = 0,   /**< no argument */
    JLP_ARG_U1 = 1,     /**< 1-byte unsigned */
    JLP_ARG_U2 = 2,     /**< 2-byte unsigned little-endian */
    JLP_ARG_I4 = 3,     /**< 4-byte signed little-endian */
    JLP_ARG_U4 = 4,     /**< 4-byte unsigned little-endian */
    JLP_ARG_U8 = 5,     /**< 8-byte unsigned little-endian */
    JLP_ARG_F8 = 6,     /**< 8-byte big-endian IEEE double */
    JLP_ARG_LINE = 7,   /**< text up to and including '\n' */
    JLP_ARG_LINE2 = 8,  /**< two '\n'-terminated lines (module, name) */
    JLP_ARG_LEN1 = 9,   /**< 1-byte length, then that many bytes */
    JLP_ARG_LEN4 = 10,  /**< 4-byte unsigned little-endian length, then bytes */
    JLP_ARG_SLEN4 = 11, /**< 4-byte signed length (negative is an error), then bytes */
    JLP_ARG_LEN8 = 12   /**< 8-byte unsigned little-endian length, then bytes */
} jlp_arg_kind;

/** One pickle opcode, as Python's pickletools describes it. Its stack effect: it takes
 *  `pops` values off the stack (with pops_mark, the values below the mark's slice, such
 *  as the list of APPENDS), pushes `pushes` values, and with pops_mark also takes the
 *  topmost mark and every value above it (LIST, APPENDS, OBJ, POP_MARK...); MARK alone
 *  has pushes_mark. */
typedef struct jlp_opcode_desc {
    const char *name;  /**< pickletools' name ("SHORT_BINUNICODE") */
    int code;          /**< the opcode byte */
    int protocol;      /**< the protocol that introduced it, 0 to 5 */
    jlp_arg_kind arg;  /**< what follows the byte in the stream */
    int pops;          /**< values taken off the stack (see above) */
    int pushes;        /**< values pushed */
    int pops_mark;     /**< nonzero: also pops the topmost mark and the values above it */
    int pushes_mark;   /**< nonzero: pushes a mark */
} jlp_opcode_desc;

/** The description of opcode byte `code`, from the one table the reader, the writer and
 *  jlinspect's disassembler use (the 68 opcodes of protocols 0 to 5).
 *  @return a pointer to static data (never freed, never changed), or NULL when no
 *  protocol defines that byte (and for any `code` outside 0..255). Thread-safe. */
JLP_API const jlp_opcode_desc *jlp_opcode_info(int code);

/** What to do with an array payload whose address is not a multiple of its dtype's
 *  alignment (files of joblib < 1.2 and unseekable outputs are not aligned). */
typedef enum jlp_align_policy {
    JLP_ALIGN_ALLOW = 0,    /**< keep the unaligned view; jlp_array_info.aligned says so */
    JLP_ALIGN_COPY = 1,     /**< copy misaligned payloads into the document, aligned */
    JLP_ALIGN_REQUIRE = 2   /**< fail with JLP_E_UNALIGNED */
} jlp_align_policy;

typedef struct jlp_read_opts {
    size_t size;               /**< sizeof(jlp_read_opts): set by JLP_READ_OPTS_INIT */
    const jlp_limits *limits;  /**< NULL: the library's defaults (JLP_LIMITS_INIT);
                                    read during the call only, not kept */
    const jlp_alc *alc;        /**< NULL: malloc/realloc/free */
    jlp_py2str py2str;
    const jlp_buffer *buffers; /**< out-of-band buffers, consumed in order by NEXT_BUFFER */
    size_t nbuffers;
    const struct jlp_registry *registry; /**< codecs for container detection; NULL: the
                                              built-in ones (jlpickle_codec.h) */
    int mmap;                  /**< jlp_load_path: JLP_MMAP_* (0: copy everything). A
                                    mapped load reads the opcodes and points array data
                                    (and long bytes) into a mapping of the file, which it
                                    does not touch: only the pages the pickle's opcodes
                                    are on are read. Compressed files load in memory. The
                                    mapping lives until jlp_doc_free. */
    jlp_align_policy align;
    int no_companions;         /**< refuse the companion files of joblib <= 0.9
                                    (JLP_E_PATH) instead of reading them */
    jlp_trace_fn trace;        /**< called for every opcode and payload, in order; this
                                    is how jlinspect disassembles with the loader's own
                                    parser. NULL: no calls. */
    void *trace_ctx;
    uint64_t flags;            /**< JLP_READ_* bits (default 0) */
    int threads;               /**< threads that may read one large payload of a file
                                    (64 MiB or more) in parallel, the caller's included:
                                    0 (default) the online processors, at most 4; 1 the
                                    caller alone. A copy out of the page cache then runs
                                    on several cores; the memory used is the same. */
    int reserved;              /**< 0 (keeps the struct growable; a later field takes it) */
    const struct jlp_archive_opts *archive; /**< budgets for archives that jlp_load_path
                                    and jlp_load_mem open (section 14); NULL: defaults */
} jlp_read_opts;

/** jlp_read_opts.flags: load the object arrays of .npy files, whose data is a pickle of
 *  the array (as numpy.load(allow_pickle=True) does; the pickle is read like any other,
 *  nothing in it is executed). Without it they fail with JLP_E_UNSUPPORTED. */
#define JLP_READ_NPY_PICKLE ((uint64_t)1 << 0)

/** Values of jlp_read_opts.mmap. */
enum {
    JLP_MMAP_NONE = 0,         /**< read and copy the file (the default) */
    JLP_MMAP_READONLY = 1,     /**< arrays point into a read-only mapping (PROT_READ,
                                    MAP_PRIVATE), like joblib's mmap_mode='r' */
    /** arrays point into a private writable mapping (PROT_READ | PROT_WRITE,
     *  MAP_PRIVATE), like joblib's mmap_mode='c', with copy semantics: jlp_array_data_mut
     *  gives their bytes to edit in place, and a write copies just the page it touches,
     *  never reaching the file. The load is as fast as a read-only mapping and costs
     *  memory only for the pages written. The trade-off: the file must not change while
     *  the document lives; pages not yet written show what the file holds when they are
     *  read (so a change made to the file shows through them) and truncating the file
     *  makes their access fault (SIGBUS). */
    JLP_MMAP_COPY_ON_WRITE = 2
};

#define JLP_LIMITS_INIT                                                                    \
    { sizeof(jlp_limits), (uint64_t)1 << 30, 100000, (uint64_t)1 << 26, (uint64_t)1 << 26, \
      (uint64_t)1 << 31, 4300, (uint64_t)8 << 30, (uint64_t)1 << 40, 0 }
#define JLP_READ_OPTS_INIT                                                                 \
    { sizeof(jlp_read_opts), NULL, NULL, JLP_PY2STR_AUTO, NULL, 0, NULL, 0, JLP_ALIGN_ALLOW, \
      0, NULL, NULL, 0, 0, 0, NULL }

/** Fill `lim` with the defaults (the same as JLP_LIMITS_INIT). NULL is ignored. An
 *  inline function, so it fills exactly the struct this header declares. Thread-safe. */
static inline void jlp_limits_init(jlp_limits *lim) {
    jlp_limits d = JLP_LIMITS_INIT;
    if (lim) *lim = d;
}
/** Fill `opts` with the defaults (the same as JLP_READ_OPTS_INIT: limits NULL). NULL is
 *  ignored. Inline, as jlp_limits_init. Thread-safe. */
static inline void jlp_read_opts_init(jlp_read_opts *opts) {
    jlp_read_opts d = JLP_READ_OPTS_INIT;
    if (opts) *opts = d;
}

/* =====================================================================================
 * 5. Sources
 *
 * A source is where input bytes come from. It keeps its position across loads, so
 * several pickles written one after another into one stream are read by calling
 * jlp_load() repeatedly on the same source. A source is used by one thread at a time.
 * ===================================================================================== */

typedef struct jlp_source jlp_source;

/** A write callback: @return 0 on success, nonzero to abort (the call fails with
 *  JLP_E_IO). */
typedef int (*jlp_write_fn)(void *ctx, const void *data, size_t len);

/** A read callback: copy up to `cap` bytes into `buf`.
 *  @return the number of bytes written (0 at end of input), or -1 on error. */
typedef long long (*jlp_read_fn)(void *ctx, void *buf, size_t cap);

/** A source over caller memory. The bytes are borrowed and must outlive the source and
 *  every document loaded from it (strings may point into them).
 *  @return a new source, or NULL (err: INVALID_ARG when data is NULL and len > 0,
 *  NOMEM). */
JLP_API jlp_source *jlp_source_mem(const void *data, size_t len, const jlp_alc *alc,
                                   jlp_error *err);
/** A source reading the file at `path`. The file is opened now and closed by
 *  jlp_source_free().
 *  @return a new source, or NULL (err: INVALID_ARG for a NULL path, IO with errno text). */
JLP_API jlp_source *jlp_source_path(const char *path, const jlp_alc *alc, jlp_error *err);
/** A source reading the regular file at `path` whose payloads (array data, long bytes
 *  values) are not read but lent from a read-only mapping of the file, as a mapped load
 *  (JLP_MMAP_READONLY) lends them: a load reads only the pages its opcodes are on.
 *  Documents loaded from it point into the mapping (their arrays report JLP_STORE_MMAP)
 *  and must be freed before the source, which unmaps the file. The file must not
 *  change meanwhile (see JLP_MMAP_COPY_ON_WRITE). Compressed files read as through
 *  jlp_source_path (nothing is lent).
 *  @return a new source, or NULL (err: INVALID_ARG for a NULL path, IO, MMAP for what is
 *  not a regular file or cannot be mapped). Thread-safe with distinct sources. */
JLP_API jlp_source *jlp_source_path_mapped(const char *path, const jlp_alc *alc, jlp_error *err);
/** A source reading file descriptor `fd` from its current position; pipes and sockets
 *  work. The descriptor is not closed by the library.
 *  @return a new source, or NULL (INVALID_ARG for fd < 0, NOMEM). */
JLP_API jlp_source *jlp_source_fd(int fd, const jlp_alc *alc, jlp_error *err);
/** A source reading `fp` with fread(). The FILE is not closed by the library.
 *  @return a new source, or NULL (INVALID_ARG for NULL fp, NOMEM). */
JLP_API jlp_source *jlp_source_file(FILE *fp, const jlp_alc *alc, jlp_error *err);
/** A source pulling bytes from `fn(ctx, ...)`.
 *  @return a new source, or NULL (INVALID_ARG for NULL fn, NOMEM). */
JLP_API jlp_source *jlp_source_cb(jlp_read_fn fn, void *ctx, const jlp_alc *alc,
                                  jlp_error *err);
/** @return the number of bytes consumed from the source so far (the offset of the next
 *  pickle), 0 for NULL. */
JLP_API uint64_t jlp_source_tell(const jlp_source *src);
/** @return 1 when no byte remains, 0 when one does, -1 on a read error or NULL. May read
 *  ahead (blocks on a pipe until a byte or end of input arrives). */
JLP_API int jlp_source_at_eof(jlp_source *src, jlp_error *err);
/** Look at the next `n` bytes (n <= 65536) without consuming them: the bytes the next
 *  load reads (before the first load of a compressed file, its raw bytes). *data points
 *  at them until the next call on the source. Used to choose a loader, for instance
 *  jlp_load_npy when jlp_is_npy() says so.
 *  @return the bytes available (fewer than n only at the end of input), or -1 with err
 *  filled (INVALID_ARG for NULL src or data or n > 65536; the read error). */
JLP_API long long jlp_source_peek(jlp_source *src, size_t n, const void **data, jlp_error *err);
/** Check that the input ends where the last load stopped. For a compressed container
 *  this also verifies the container's end (end marker, checksum, nothing after it).
 *  @return JLP_OK at the end; JLP_E_TRAILING when bytes follow (offset: where they
 *  start); the decoder's error (CORRUPT, CHECKSUM, TRUNCATED) otherwise. May read. */
JLP_API jlp_code jlp_source_check_end(jlp_source *src, jlp_error *err);
/** Release the source (and close what jlp_source_path opened, unmap what
 *  jlp_source_path_mapped mapped). NULL is ignored. Documents loaded from a memory
 *  source still borrow its bytes; documents from jlp_source_path_mapped must be freed
 *  first; others are independent. */
JLP_API void jlp_source_free(jlp_source *src);

/* =====================================================================================
 * 6. Loading
 * ===================================================================================== */

typedef struct jlp_doc jlp_doc;

/** Load one pickle (PROTO..STOP) from `src`, leaving the source positioned just after
 *  its STOP opcode, so the next call loads the following pickle.
 *
 *  All 68 opcodes of protocols 0 to 5 are understood. FRAME is enforced as PEP 3154 and
 *  Python's pure-Python unpickler do: an opcode may not straddle a frame end, and a new
 *  FRAME may not start before the previous one is consumed. Protocol < 3 names are
 *  mapped as Python 3 does (`__builtin__` -> `builtins`, `copy_reg` -> `copyreg`, ...).
 *
 *  Rebuilt natively (REDUCE of exactly these globals with the argument shapes Python's
 *  pickler writes): builtins.set, builtins.frozenset, builtins.bytes, builtins.bytearray,
 *  builtins.complex, collections.OrderedDict (a dict), copyreg._reconstructor (an object
 *  node), _codecs.encode(str, 'latin1'). Anything else stays inert.
 *
 *  A .npy file is not a pickle: it fails with JLP_E_UNKNOWN_FORMAT ("this is a numpy
 *  .npy file, not a pickle (jlp_load_npy_* reads it)"), at offset 0, rather than as the
 *  STACK_GLOBAL opcode its magic starts with.
 *
 *  @param opts NULL for the defaults; a struct whose size is not set or that sets
 *  fields this library does not know fails first (INVALID_ARG, UNSUPPORTED).
 *  @return the document, or NULL with `err` filled (code, offset of the opcode, opcode).
 *  At end of input before any byte, the code is JLP_E_TRUNCATED with offset equal to
 *  jlp_source_tell(). On failure nothing leaks and the source position is unspecified.
 *  Thread-safety: one thread per source. */
JLP_API jlp_doc *jlp_load(jlp_source *src, const jlp_read_opts *opts, jlp_error *err);

/** One-shot loaders: build a source, load one pickle, free the source. For compressed
 *  input they also check the container's end (jlp_source_check_end); bytes after the
 *  STOP of an uncompressed pickle are allowed (Python ignores them too).
 *  jlp_load_mem copies nothing: strings and array data of the document may point into
 *  `data`, which must outlive the document. `consumed` (may be NULL) receives the bytes
 *  the pickle occupied, so `data + *consumed` is where a following pickle would start.
 *  jlp_load_path honours opts->mmap: an uncompressed file is mapped read-only and
 *  arrays point into the mapping (zero-copy). Every payload extent is checked against
 *  the file size before use; a file truncated by someone else while mapped can still
 *  raise SIGBUS on access, as with any mapping. Errors about the file itself (IO when
 *  it cannot be opened or read, MMAP) name the path.
 *  @return the document, or NULL with `err` filled. */
JLP_API jlp_doc *jlp_load_mem(const void *data, size_t len, const jlp_read_opts *opts,
                              size_t *consumed, jlp_error *err);
JLP_API jlp_doc *jlp_load_path(const char *path, const jlp_read_opts *opts, jlp_error *err);
JLP_API jlp_doc *jlp_load_fd(int fd, const jlp_read_opts *opts, jlp_error *err);
JLP_API jlp_doc *jlp_load_file(FILE *fp, const jlp_read_opts *opts, jlp_error *err);
JLP_API jlp_doc *jlp_load_cb(jlp_read_fn fn, void *ctx, const jlp_read_opts *opts,
                             jlp_error *err);

/* =====================================================================================
 * 7. Documents
 * ===================================================================================== */

/** Warnings a load may raise without failing (bit flags, see jlp_doc_warnings). */
#define JLP_WARN_UNHASHABLE_KEY  0x0001u /**< a dict/set key Python could not hash */
#define JLP_WARN_DUPLICATE_PROTO 0x0002u /**< more than one PROTO opcode */
#define JLP_WARN_PROTO_NOT_FIRST 0x0004u /**< PROTO after the first opcode */
#define JLP_WARN_STACK_LEFT      0x0008u /**< values or MARKs left on the stack at STOP */

/** Release the document and everything it owns. NULL is ignored. Not thread-safe with
 *  respect to other uses of the same document. */
JLP_API void jlp_doc_free(jlp_doc *doc);
/** @return the root value (the object STOP returned), or NULL for a NULL doc. */
JLP_API jlp_val *jlp_doc_root(const jlp_doc *doc);
/** @return the pickle protocol declared by PROTO (0 when absent), -1 for NULL. */
JLP_API int jlp_doc_protocol(const jlp_doc *doc);
/** @return bytes of the decoded stream this pickle occupied (PROTO through STOP), 0 for
 *  NULL. */
JLP_API uint64_t jlp_doc_consumed(const jlp_doc *doc);
/** @return the number of opcodes executed, 0 for NULL. */
JLP_API uint64_t jlp_doc_ops(const jlp_doc *doc);
/** @return the JLP_WARN_* flags raised by the load, 0 for NULL. */
JLP_API unsigned jlp_doc_warnings(const jlp_doc *doc);
/** @return the container the document was read from: "none" for an uncompressed
 *  pickle, "npy" for a .npy file, else the codec name ("zlib", "gzip", "bz2", "lzma",
 *  "xz", "lz4", "zstd", "zf", or a registered codec's); NULL for NULL. */
JLP_API const char *jlp_doc_container(const jlp_doc *doc);
/** @return the joblib format generation of the document: "G0" (companion .npy files,
 *  joblib <= 0.9), "G0z" (the ZF container or ZF companions), "G1" (unaligned
 *  payloads, 0.10 - 1.1), "G2" (16-byte aligned payloads, >= 1.2), "G2-notell" (no
 *  alignment: an unseekable output), or NULL when no joblib wrapper was met (a plain
 *  pickle) or for NULL. Static storage. */
JLP_API const char *jlp_doc_generation(const jlp_doc *doc);
/** @return the number of arrays read through joblib's wrappers, 0 for NULL. */
JLP_API uint64_t jlp_doc_array_count(const jlp_doc *doc);
/** @return bytes allocated for the document (its arena and arrays), 0 for NULL. */
JLP_API uint64_t jlp_doc_alloc_bytes(const jlp_doc *doc);

/* =====================================================================================
 * 8. Values
 *
 * Accessors are NULL-tolerant: given NULL or a value of another type they return the
 * neutral result stated (0, NULL, JLP_NONE...), never crash. Strings are UTF-8 with an
 * explicit length (they may contain NUL); lone surrogates from Python appear encoded as
 * three-byte sequences ED A0 80..ED BF BF, as Python's "surrogatepass" handler writes.
 * Pointers returned stay valid until the document is freed.
 * ===================================================================================== */

typedef enum jlp_type {
    JLP_INVALID = 0,   /**< returned for NULL */
    JLP_NONE,
    JLP_BOOL,
    JLP_INT,           /**< fits int64 */
    JLP_BIGINT,        /**< does not fit int64: two's complement little-endian bytes */
    JLP_FLOAT,
    JLP_COMPLEX,
    JLP_STR,
    JLP_BYTES,
    JLP_BYTEARRAY,
    JLP_TUPLE,
    JLP_LIST,
    JLP_DICT,          /**< ordered (key, value) pairs; keys are never hashed */
    JLP_SET,
    JLP_FROZENSET,
    JLP_GLOBAL,        /**< a class or function reference: module + qualname */
    JLP_OBJECT,        /**< inert instance or call result */
    JLP_NDARRAY,       /**< numpy array */
    JLP_SCALAR,        /**< numpy scalar */
    JLP_DTYPE,         /**< numpy dtype object */
    JLP_PERSID,        /**< persistent id (PERSID/BINPERSID) */
    JLP_EXT            /**< extension registry code (EXT1/EXT2/EXT4) */
} jlp_type;

/** @return the type of `v`, JLP_INVALID for NULL. */
JLP_API jlp_type jlp_get_type(const jlp_val *v);
/** @return a lower-case name of the type ("none", "int", "dict", ...); "invalid" for
 *  JLP_INVALID and unknown values. Static storage. */
JLP_API const char *jlp_type_name(jlp_type t);

/** @return 1 if `v` is True, 0 otherwise (including NULL and non-bool). */
JLP_API int jlp_get_bool(const jlp_val *v);
/** @return the value of a JLP_INT or JLP_BOOL, 0 otherwise. */
JLP_API int64_t jlp_get_int(const jlp_val *v);
/** @return the bytes of a JLP_BIGINT (two's complement, little-endian, minimal length)
 *  and their count in *len (len may be NULL); NULL (and *len = 0) otherwise. */
JLP_API const uint8_t *jlp_get_bigint(const jlp_val *v, size_t *len);
/** Python's repr() of the integer whose two's complement little-endian bytes are
 *  `bytes[0..len)` (jlp_get_bigint's form; len 0 is 0): its decimal digits, '-' first
 *  when negative. When `cap` exceeds the text's length, the text and a NUL are written
 *  to `out`; otherwise nothing is (ask with cap 0 first, or give len * 241 / 100 + 3
 *  bytes, which always suffice). The conversion is quadratic in `len`: callers showing
 *  files from strangers may want to bound it.
 *  @return the text's length without the NUL (at least 1); 0 when `bytes` is NULL with
 *  len > 0 or memory ran out. Thread-safe. */
JLP_API size_t jlp_bigint_repr(const uint8_t *bytes, size_t len, char *out, size_t cap);
/** @return the value of a JLP_FLOAT, or of a JLP_INT/JLP_BOOL converted; 0.0 otherwise. */
JLP_API double jlp_get_float(const jlp_val *v);

/** Room jlp_float_repr needs: the longest repr ("-2.2250738585072014e-308") and NUL. */
#define JLP_FLOAT_REPR_MAX 32
/** Write Python's repr() of `d` into `out`, NUL-terminated: the shortest digits that
 *  read back to the same double, fixed notation for decimal exponents -4 to 15 ("0.0001",
 *  "1e+16", "1.5e-05", "-0.0", "100.0"), and "nan", "inf", "-inf". The JSON export and the
 *  tools print floats with it.
 *  @return the length written (without the NUL), or 0 with nothing written when `out`
 *  is NULL or `cap` < JLP_FLOAT_REPR_MAX. Thread-safe. */
JLP_API size_t jlp_float_repr(double d, char *out, size_t cap);
/** Real and imaginary parts of a JLP_COMPLEX. @return 1, or 0 (and zeros) otherwise. */
JLP_API int jlp_get_complex(const jlp_val *v, double *re, double *im);
/** @return the bytes of a JLP_STR, JLP_BYTES or JLP_BYTEARRAY with their length in *len
 *  (len may be NULL). The text of a str is followed by a NUL not counted in len. NULL
 *  (and *len = 0) for other types. */
JLP_API const char *jlp_get_str(const jlp_val *v, size_t *len);
/** @return 1 if `v` is a JLP_STR equal to the NUL-terminated `s`, else 0. */
JLP_API int jlp_str_eq(const jlp_val *v, const char *s);

/** @return the element count of a tuple, list, set, frozenset (items), dict (pairs) or
 *  object-dtype ndarray (its elements); 0 for anything else. */
JLP_API size_t jlp_len(const jlp_val *v);
/** @return item `i` of a tuple, list, set or frozenset, or element `i` in C order of an
 *  object-dtype ndarray (so a list of estimators and an object array of them read
 *  alike), or NULL when out of range or of another type. */
JLP_API jlp_val *jlp_item(const jlp_val *v, size_t i);
/** @return key `i` / value `i` of a dict, NULL when out of range or not a dict. */
JLP_API jlp_val *jlp_dict_key(const jlp_val *v, size_t i);
JLP_API jlp_val *jlp_dict_value(const jlp_val *v, size_t i);
/** @return the value of the first pair whose key is the str `key`, NULL if none.
 *  Linear in the dict size. */
JLP_API jlp_val *jlp_dict_get(const jlp_val *v, const char *key);

/** Path access: the value at `pointer`, an RFC 6901 JSON pointer ("" is `v` itself;
 *  segments start with '/'; "~1" stands for '/' and "~0" for '~') in the syntax of the
 *  JSON export (spec/JSON.md) that `jlload --get` takes:
 *    list and tuple items, set items:  /3, /$tuple/3, /$set/0, /$frozenset/0
 *    dicts:    /key (str keys); /$dict/I/0 and /$dict/I/1 for pair I's key and value
 *    objects:  /$object/state, /$object/args/I, /$object/kwargs/key, /$object/items/I,
 *              /$object/dictitems/I/0|1, /$object/class or /$object/call (when the
 *              callable is itself a value, not a global)
 *    object arrays:  /$ndarray/data/I/J... (one index per dimension), or /K (element K
 *              in C order); persistent ids: /$persid
 *  and, as shorthands, an object's attribute by name (/coef_: the key of its state dict,
 *  or of the dict or slot state of a (dict, slots) state) and a tuple's item by index
 *  without $tuple. So "/steps/0/1/mean_" reaches a Pipeline's scaler mean.
 *  @return the value, or NULL with `err` filled: INVALID_ARG (NULL pointer, a pointer
 *  not starting with '/' or with a bad ~ escape; a NULL v follows section 2: an error
 *  already in `err` is kept, else INVALID_ARG "NULL value"), NOT_FOUND (no such key, index
 *  or attribute), BAD_TYPE (a segment below a value that has no parts of that kind); the
 *  message names the failing segment and the path resolved before it, `offset` is the
 *  byte of `pointer` where the failing segment starts (its '/'). Thread-safe for
 *  concurrent readers. */
JLP_API jlp_val *jlp_at(const jlp_val *v, const char *pointer, jlp_error *err);
/** jlp_at as far as values go: @return the deepest value reached and in *rest (not NULL)
 *  the part of `pointer` left unresolved, "" when everything was. The rest addresses the
 *  JSON export of the value returned where it has no value nodes (an array's dtype,
 *  shape or numeric elements, a global's name), which is how `jlload --get` prints them.
 *  NULL with err filled only for a malformed pointer or a NULL rest (INVALID_ARG) and for a
 *  NULL v (section 2: an error already in `err` is kept); `err` is left OK otherwise. */
JLP_API jlp_val *jlp_at_prefix(const jlp_val *v, const char *pointer, const char **rest, jlp_error *err);

/** Checked scalars. Each accepts a Python bool, int (also beyond 64 bits, then RANGE),
 *  float or complex, a numpy scalar of a numeric, bool or datetime dtype, a 0-d or
 *  one-element ndarray of those, and an object scalar or one-element object array
 *  holding such a value (one level), and converts exactly:
 *    jlp_as_int64 / jlp_as_uint64: bools, ints, datetime64/timedelta64 counts, floats
 *      without a fraction, in range;
 *    jlp_as_double: bools, ints that a double holds exactly, floats (float16/32/64 and
 *      longdouble when no bit is lost; NaN and infinities too);
 *    jlp_as_bool: bools, and ints that are 0 or 1.
 *  @return JLP_OK with *out set; JLP_E_BAD_TYPE (another type, a complex number; *out
 *  untouched); JLP_E_RANGE (the value does not fit exactly); INVALID_ARG for a NULL out.
 *  A NULL v (a failed lookup) keeps the error already in `err` and returns its code, or
 *  is INVALID_ARG "NULL value" (section 2). The getters of section 8 keep their meaning. Thread-safe for concurrent
 *  readers. */
JLP_API jlp_code jlp_as_int64(const jlp_val *v, int64_t *out, jlp_error *err);
JLP_API jlp_code jlp_as_uint64(const jlp_val *v, uint64_t *out, jlp_error *err);
JLP_API jlp_code jlp_as_double(const jlp_val *v, double *out, jlp_error *err);
JLP_API jlp_code jlp_as_bool(const jlp_val *v, int *out, jlp_error *err);
/** A str (or an object scalar / one-element object array holding one): *s its UTF-8,
 *  NUL-terminated, *len (may be NULL) its length in bytes. bytes and numpy str_ items
 *  are BAD_TYPE. @return JLP_OK, JLP_E_BAD_TYPE, INVALID_ARG (NULL s); a NULL v as the
 *  other checked scalars (section 2). */
JLP_API jlp_code jlp_as_str(const jlp_val *v, const char **s, size_t *len, jlp_error *err);

/** Element `i` (C order) of a numpy string array as text: a 'U' item as UTF-8, an 'S'
 *  item as its bytes, each without the trailing NULs numpy drops; of an object array,
 *  its str; of a numpy str_/bytes_ scalar, the scalar (i = 0). Written into `buf` with
 *  a NUL; *len (may be NULL) gets the length, also when `cap` is too small.
 *  @return JLP_OK; RANGE (cap must exceed *len); NOT_FOUND (i past the end); BAD_TYPE
 *  (not a string array, or an element that is not a str); BAD_UTF8 (a 'U' code point
 *  above U+10FFFF); INVALID_ARG (NULL buf with cap > 0); a NULL arr keeps the error in
 *  `err` or is INVALID_ARG "NULL value" (section 2). Thread-safe for concurrent readers. */
JLP_API jlp_code jlp_array_str(const jlp_val *arr, uint64_t i, char *buf, size_t cap, size_t *len, jlp_error *err);

/** An object's attribute `name`: the value under that str key in its BUILD state when
 *  the state is a dict, or, for a (dict, slots) state tuple, in the dict and then in the
 *  slots dict. @return the value, or NULL (not an object, no state, no such key). */
JLP_API jlp_val *jlp_obj_attr(const jlp_val *obj, const char *name);

/** Iterator over a sequence, an object-dtype ndarray (C order) or a dict, used as a
 *  stack value:
 *      jlp_iter it = jlp_iter_make(v);  jlp_val *x;
 *      while ((x = jlp_iter_next(&it))) ...          // items, or dict keys
 *  For a dict, jlp_iter_value(&it) gives the value of the key just returned.
 *  Changing the container while iterating is not allowed. */
typedef struct jlp_iter {
    const jlp_val *v;
    size_t i;
} jlp_iter;
JLP_API jlp_iter jlp_iter_make(const jlp_val *v);
JLP_API jlp_val *jlp_iter_next(jlp_iter *it);
JLP_API jlp_val *jlp_iter_value(const jlp_iter *it);

/** Module and qualified name of a JLP_GLOBAL (NUL-terminated; lengths in *len, which may
 *  be NULL). @return NULL for other types. */
JLP_API const char *jlp_global_module(const jlp_val *v, size_t *len);
JLP_API const char *jlp_global_name(const jlp_val *v, size_t *len);
/** @return 1 if `v` is the global module.name exactly (no prefix match), else 0. */
JLP_API int jlp_global_is(const jlp_val *v, const char *module, const char *name);

/** How a JLP_OBJECT came to be. */
typedef enum jlp_obj_kind {
    JLP_OBJ_NONE = 0,     /**< not an object */
    JLP_OBJ_NEWOBJ,       /**< cls.__new__(cls, *args) (NEWOBJ) */
    JLP_OBJ_NEWOBJ_EX,    /**< cls.__new__(cls, *args, **kwargs) (NEWOBJ_EX) */
    JLP_OBJ_OBJ,          /**< OBJ opcode: cls(*args) */
    JLP_OBJ_INST,         /**< INST opcode: module.name(*args) */
    JLP_OBJ_RECONSTRUCTOR,/**< copyreg._reconstructor(cls, base, state) */
    JLP_OBJ_REDUCE        /**< REDUCE of a callable that is not rebuilt natively */
} jlp_obj_kind;

/** @return the kind of a JLP_OBJECT, JLP_OBJ_NONE otherwise. */
JLP_API jlp_obj_kind jlp_obj_get_kind(const jlp_val *v);
/** @return the class (kinds other than REDUCE) or the callable (REDUCE); usually a
 *  JLP_GLOBAL. NULL when not an object. */
JLP_API jlp_val *jlp_obj_callable(const jlp_val *v);
/** @return the positional arguments as a JLP_TUPLE (never NULL for an object). */
JLP_API jlp_val *jlp_obj_args(const jlp_val *v);
/** @return the keyword arguments (JLP_DICT) of NEWOBJ_EX, else NULL. */
JLP_API jlp_val *jlp_obj_kwargs(const jlp_val *v);
/** @return the state given by BUILD, or NULL when no BUILD happened (a BUILD with None
 *  gives a JLP_NONE value, not NULL). */
JLP_API jlp_val *jlp_obj_state(const jlp_val *v);
/** @return a JLP_LIST of what APPEND/APPENDS/ADDITEMS added, or NULL if nothing was. */
JLP_API jlp_val *jlp_obj_items(const jlp_val *v);
/** @return a JLP_DICT of what SETITEM/SETITEMS added, or NULL if nothing was. */
JLP_API jlp_val *jlp_obj_dictitems(const jlp_val *v);

/** @return the value a JLP_PERSID carries (str for PERSID, any for BINPERSID). */
JLP_API jlp_val *jlp_persid_value(const jlp_val *v);
/** @return the code of a JLP_EXT, 0 otherwise. */
JLP_API int64_t jlp_ext_code(const jlp_val *v);

/* =====================================================================================
 * 9. numpy values: arrays, dtypes, scalars
 *
 * Arrays come from joblib's wrappers (NumpyArrayWrapper, NDArrayWrapper,
 * ZNDArrayWrapper) and from numpy's own pickling (_reconstruct, scalar, _frombuffer).
 * Their bytes stay in the file's byte order; jlp_array_copy_native() gives host order.
 * ===================================================================================== */

/** Where an array's bytes live. */
typedef enum jlp_storage {
    JLP_STORE_NONE = 0,      /**< object array: elements are values (jlp_array_object) */
    JLP_STORE_ARENA = 1,     /**< copied into the document */
    JLP_STORE_BORROWED = 2,  /**< inside the caller's memory given to jlp_load_mem, or
                                  inside the block the document keeps of a small file
                                  (up to 4 MiB) that jlp_load_path read whole */
    JLP_STORE_MMAP = 3       /**< inside the document's read-only mapping of the file */
} jlp_storage;

/** How an array was written. */
typedef enum jlp_array_origin {
    JLP_ORIGIN_WRAPPER_G2 = 0,     /**< NumpyArrayWrapper, 16-byte padding (joblib >= 1.2) */
    JLP_ORIGIN_WRAPPER_G1 = 1,     /**< NumpyArrayWrapper, no padding (joblib 0.10 - 1.1) */
    JLP_ORIGIN_WRAPPER_NOTELL = 2, /**< NumpyArrayWrapper, alignment None (unseekable output) */
    JLP_ORIGIN_NPY_COMPANION = 3,  /**< NDArrayWrapper: a companion .npy file (joblib <= 0.9) */
    JLP_ORIGIN_ZF_COMPANION = 4,   /**< ZNDArrayWrapper: a companion ZF file (joblib <= 0.9) */
    JLP_ORIGIN_REDUCE = 5,         /**< numpy's own _reconstruct + BUILD */
    JLP_ORIGIN_FROMBUFFER = 6,     /**< numpy's protocol 5 _frombuffer */
    JLP_ORIGIN_NPY = 7,            /**< a .npy file (jlp_load_npy_*) */
    JLP_ORIGIN_TORCH = 8           /**< a PyTorch tensor or storage of a checkpoint */
} jlp_array_origin;

typedef struct jlp_array_info {
    size_t size;              /**< sizeof(jlp_array_info): set by JLP_ARRAY_INFO_INIT */
    const jlp_val *dtype;     /**< a JLP_DTYPE value */
    uint32_t ndim;
    const uint64_t *shape;    /**< ndim extents */
    uint64_t count;           /**< number of elements */
    char order;               /**< 'C' or 'F': the memory order of `data` */
    const void *data;         /**< NULL for object arrays */
    uint64_t nbytes;          /**< count * itemsize */
    jlp_storage storage;
    jlp_array_origin origin;
    uint64_t offset;          /**< offset of the data in the decoded stream (the file offset
                                   for uncompressed input), UINT64_MAX when not in the stream */
    int aligned;              /**< data address is a multiple of the dtype's alignment */
    int native;               /**< items are in host byte order (or have none) */
    const jlp_val *subclass;  /**< global recorded by joblib (numpy.matrix...), or NULL */
} jlp_array_info;
#define JLP_ARRAY_INFO_INIT { sizeof(jlp_array_info), NULL, 0, NULL, 0, 0, NULL, 0, \
                              JLP_STORE_NONE, JLP_ORIGIN_WRAPPER_G2, 0, 0, 0, NULL }

/** Describe the array `v` into `info`, which the caller initialised with
 *  JLP_ARRAY_INFO_INIT (only the fields inside info->size are written).
 *  @return 1 and fill *info for a JLP_NDARRAY; 0 otherwise (the fields after `size`
 *  zeroed), and 0 without writing anything for a NULL info or one whose size is not
 *  set. NULL-tolerant. Thread-safe for concurrent readers. */
JLP_API int jlp_array_get(const jlp_val *v, jlp_array_info *info);
/** @return element `i` (C order) of an object array, NULL otherwise or out of range. */
JLP_API jlp_val *jlp_array_object(const jlp_val *v, uint64_t i);
/** Copy the array's bytes into `dst` (in the array's memory order), swapping each item
 *  to host byte order (fields of structured items each by their own order).
 *  @return JLP_OK; JLP_E_INVALID_ARG for a non-array, an object array, NULL dst or
 *  cap < nbytes; a NULL v keeps the error in `err` or is INVALID_ARG "NULL value"
 *  (section 2). Thread-safe for concurrent readers. */
JLP_API jlp_code jlp_array_copy_native(const jlp_val *v, void *dst, size_t cap, jlp_error *err);

/** C element types of typed views (jlp_array_as). */
typedef enum jlp_elem {
    JLP_ELEM_NONE = 0,
    JLP_B8 = 1,   /**< bool as a uint8_t 0 or 1 */
    JLP_I8 = 2, JLP_I16 = 3, JLP_I32 = 4, JLP_I64 = 5,
    JLP_U8 = 6, JLP_U16 = 7, JLP_U32 = 8, JLP_U64 = 9,
    JLP_F32 = 10, JLP_F64 = 11,
    JLP_C64 = 12, /**< complex of two floats (re, im), as float _Complex */
    JLP_C128 = 13 /**< complex of two doubles, as double _Complex */
} jlp_elem;

/** A typed view of an array's elements (an out-struct: initialise with JLP_VIEW_INIT). */
typedef struct jlp_view {
    size_t size;            /**< sizeof(jlp_view): set by JLP_VIEW_INIT */
    const void *data;       /**< the first element: native byte order, aligned for the
                                 element type; NULL when count is 0 */
    uint64_t count;         /**< elements */
    int64_t stride;         /**< bytes from one element to the next in C order: the
                                 element size, except for JLP_AS_STRIDED field views */
    const uint64_t *shape;  /**< ndim extents (C order); valid as long as the document */
    uint32_t ndim;
    jlp_elem elem;
    uint32_t elem_size;     /**< bytes of one element */
    uint32_t copied;        /**< 0: the array's own bytes (zero-copy); 1: converted into
                                 the document */
} jlp_view;
#define JLP_VIEW_INIT { sizeof(jlp_view), NULL, 0, 0, NULL, 0, JLP_ELEM_NONE, 0, 0 }

/** Flags of jlp_array_as and jlp_array_field. */
#define JLP_AS_ROUND   0x1u /**< float targets may round to nearest (float64 to float32,
                                 int64 beyond 2^53 to float64), once from the item's own
                                 value as numpy's astype rounds; a finite value that
                                 rounds to an infinity is still RANGE; ints stay exact */
#define JLP_AS_NOCOPY  0x2u /**< never convert into the document: fail with UNSUPPORTED
                                 when neither the array's own bytes nor an earlier
                                 conversion can serve */
#define JLP_AS_STRIDED 0x4u /**< jlp_array_field may return a strided zero-copy view */

/** A view of the elements of the ndarray `arr` as element type `elem`: native byte
 *  order, aligned, in C order. When the array already is that (same kind and size,
 *  native, aligned, C-contiguous) the view is its own bytes (copied = 0, zero-copy, also
 *  for mapped files). Otherwise the elements are converted once into the document (copied
 *  = 1): a later call for the same type returns the same conversion, and
 *  jlp_array_data_mut drops it. Conversions are exact: bool and int to any numeric type
 *  when the value fits, float to float or complex when no bit is lost (NaN and
 *  infinities convert), float to int when integral and in range (a longdouble too,
 *  beyond a double's 53 bits), complex to complex;
 *  datetime64/timedelta64 only to JLP_I64 (their counts); JLP_AS_ROUND lets float targets
 *  round; PyTorch's bfloat16 converts as a float (exactly to JLP_F32 and JLP_F64).
 *  Structured, string, other void and object dtypes are BAD_TYPE.
 *  @return JLP_OK with *view filled (only the fields inside view->size); BAD_TYPE (not an
 *  ndarray, or no such conversion); RANGE (an element does not convert exactly: the
 *  message gives its index in C order); UNSUPPORTED (JLP_AS_NOCOPY and a conversion is
 *  needed); NOMEM or LIMIT (the document's max_alloc); INVALID_ARG (NULL view, an unset
 *  view->size, an unknown elem or flag). A NULL arr (a failed lookup) keeps the error in
 *  `err` and returns its code, or is INVALID_ARG "NULL value" (section 2).
 *  Thread safety: a zero-copy view only reads; a conversion writes into the document, so
 *  convert before sharing a document between threads, or pass JLP_AS_NOCOPY. */
JLP_API jlp_code jlp_array_as(const jlp_val *arr, jlp_elem elem, unsigned flags, jlp_view *view,
                              jlp_error *err);
/** A view of one field (`name`, see jlp_dtype_field_named) of a structured array as
 *  element type `elem`: shape = the array's shape, followed by the field's subarray shape
 *  if it has one. The column is converted into the document (cached as jlp_array_as
 *  does) unless JLP_AS_STRIDED is given and the field can be read in place (native,
 *  aligned, no subarray, a C-contiguous array): then the view points into the array with
 *  `stride` = the record size. @return as jlp_array_as (a NULL arr too), and NOT_FOUND
 *  for a field that is not there (BAD_TYPE for a dtype without fields). Thread safety as
 *  jlp_array_as. */
JLP_API jlp_code jlp_array_field(const jlp_val *arr, const char *name, jlp_elem elem, unsigned flags,
                                 jlp_view *view, jlp_error *err);

/** dtype accessors (v is a JLP_DTYPE; other values give 0/NULL). */
JLP_API char jlp_dtype_kind(const jlp_val *v);          /**< b i u f c S U V M m O */
JLP_API char jlp_dtype_byteorder(const jlp_val *v);     /**< '<' '>' '|' */
JLP_API uint64_t jlp_dtype_itemsize(const jlp_val *v);
/** @return numpy's dtype.str ("<f8", "|S5", "<M8[ns]", "|V12" for structured), or
 *  "bfloat16" for PyTorch's bfloat16 tensors (kind 'V', itemsize 2, byte order '<' or
 *  '>': the upper half of an IEEE float32; numpy has no such type, and ml_dtypes'
 *  "<V2" would not say what the bytes are). */
JLP_API const char *jlp_dtype_str(const jlp_val *v);
JLP_API size_t jlp_dtype_nfields(const jlp_val *v);
/** Field `i` in declaration order: @return its dtype, with name, name length and byte
 *  offset (each out pointer may be NULL); NULL when out of range. The name is UTF-8 of
 *  *name_len bytes followed by a NUL that is not counted, so it can be used as a C
 *  string (a name that itself holds a NUL compares fully only with its length). */
JLP_API jlp_val *jlp_dtype_field(const jlp_val *v, size_t i, const char **name, size_t *name_len,
                                 uint64_t *offset);
/** The field of a structured dtype called `name` (NUL-terminated; compared with the
 *  whole field name). @return its dtype, with its byte offset and index (out pointers
 *  may be NULL); NULL when there is none or `v` is not a structured dtype. */
JLP_API jlp_val *jlp_dtype_field_named(const jlp_val *v, const char *name, uint64_t *offset, size_t *index);
/** For a subarray dtype: @return the base dtype and its shape; NULL otherwise. */
JLP_API jlp_val *jlp_dtype_subarray(const jlp_val *v, size_t *ndim, const uint64_t **shape);
/** For datetime64/timedelta64: @return the unit ("ns", "D"...) and *num its multiplier;
 *  "" for generic units; NULL for other kinds. */
JLP_API const char *jlp_dtype_unit(const jlp_val *v, int64_t *num);

/** A numpy scalar's dtype (JLP_DTYPE) and raw item bytes (file byte order); for object
 *  scalars data is NULL and jlp_scalar_object gives the value. */
JLP_API jlp_val *jlp_scalar_dtype(const jlp_val *v);
JLP_API const void *jlp_scalar_data(const jlp_val *v, size_t *len);
JLP_API jlp_val *jlp_scalar_object(const jlp_val *v);

/* =====================================================================================
 * 10. Building and editing documents
 *
 * A document made with jlp_doc_new() is filled with the constructors below; a loaded
 * document can be edited with the same calls and dumped again. The new value is owned by
 * the document. Every constructor returns NULL on failure, and every constructor and
 * editing call keeps the reason in the document: jlp_doc_error() tells NOMEM from LIMIT
 * (a loaded document's limits.max_alloc), INVALID_ARG, BAD_UTF8... A NULL doc gives NULL
 * (or INVALID_ARG) and keeps nothing. jlp_new_array, jlp_new_scalar and
 * jlp_new_dtype_copy given a NULL dtype with an error already in `err` (a failed
 * jlp_new_dtype or lookup) keep that error, in `err` and as the document's (section 2);
 * with a clear `err` they fail with INVALID_ARG "...: NULL dtype". Values of one document
 * must not be put into another; dtypes are the exception: jlp_new_array and jlp_new_scalar copy a dtype of
 * another document into theirs. Not thread-safe with respect to other uses of the same
 * document.
 * ===================================================================================== */

/** @return a new empty document (root NULL), or NULL when allocation fails.
 *  alc NULL = malloc. */
JLP_API jlp_doc *jlp_doc_new(const jlp_alc *alc);
/** Make `root` the document's root (NULL clears it). @return JLP_OK or INVALID_ARG. */
JLP_API jlp_code jlp_doc_set_root(jlp_doc *doc, jlp_val *root);
/** The first failure of a constructor or editing call on `doc` since the document was
 *  made or this was last called (the first one is the cause: later calls often fail
 *  only because they were given its NULL). Fills `err` (may be NULL) and forgets it.
 *  @return its code, JLP_OK when every call succeeded, INVALID_ARG for a NULL doc. */
JLP_API jlp_code jlp_doc_error(jlp_doc *doc, jlp_error *err);

JLP_API jlp_val *jlp_new_none(jlp_doc *doc);
JLP_API jlp_val *jlp_new_bool(jlp_doc *doc, int b);
JLP_API jlp_val *jlp_new_int(jlp_doc *doc, int64_t i);
/** An integer of any size from two's complement little-endian bytes (stored as a
 *  JLP_INT when it fits). */
JLP_API jlp_val *jlp_new_bigint(jlp_doc *doc, const uint8_t *bytes, size_t len);
JLP_API jlp_val *jlp_new_float(jlp_doc *doc, double f);
JLP_API jlp_val *jlp_new_complex(jlp_doc *doc, double re, double im);
/** A str from UTF-8 (copied). Lone surrogates may be given as ED A0 80..ED BF BF.
 *  @return NULL when `s` is not valid UTF-8 (kept as BAD_UTF8). */
JLP_API jlp_val *jlp_new_str(jlp_doc *doc, const char *s, size_t len);
/** jlp_new_str of a NUL-terminated string. */
JLP_API jlp_val *jlp_new_strz(jlp_doc *doc, const char *s);
JLP_API jlp_val *jlp_new_bytes(jlp_doc *doc, const void *p, size_t len);
JLP_API jlp_val *jlp_new_bytearray(jlp_doc *doc, const void *p, size_t len);
/** Containers; `items` (n values, may be NULL when n is 0) are copied in. */
JLP_API jlp_val *jlp_new_tuple(jlp_doc *doc, jlp_val *const *items, size_t n);
JLP_API jlp_val *jlp_new_list(jlp_doc *doc);
JLP_API jlp_val *jlp_new_dict(jlp_doc *doc);
JLP_API jlp_val *jlp_new_set(jlp_doc *doc);
JLP_API jlp_val *jlp_new_frozenset(jlp_doc *doc, jlp_val *const *items, size_t n);
/** Append to a list or add to a set (in order; nothing is hashed).
 *  @return JLP_OK, INVALID_ARG, NOMEM. */
JLP_API jlp_code jlp_list_append(jlp_doc *doc, jlp_val *list, jlp_val *item);
/** Replace item `i` of a list. @return JLP_OK or INVALID_ARG (out of range). */
JLP_API jlp_code jlp_list_set(jlp_doc *doc, jlp_val *list, size_t i, jlp_val *item);
/** Remove item `i` of a list; the items after it move down. @return JLP_OK, NOT_FOUND
 *  (past the end), INVALID_ARG (not a list). */
JLP_API jlp_code jlp_list_del(jlp_doc *doc, jlp_val *list, size_t i);
/** Set `key` in a dict: a str key already present has its value replaced, any other key
 *  is appended. @return JLP_OK, INVALID_ARG, NOMEM. */
JLP_API jlp_code jlp_dict_set(jlp_doc *doc, jlp_val *dict, jlp_val *key, jlp_val *value);
/** jlp_dict_set with a NUL-terminated str key. */
JLP_API jlp_code jlp_dict_set_str(jlp_doc *doc, jlp_val *dict, const char *key, jlp_val *value);
/** Remove the first pair whose key is the str `key`, keeping the order of the others.
 *  @return JLP_OK, NOT_FOUND, INVALID_ARG (not a dict, NULL key). */
JLP_API jlp_code jlp_dict_del(jlp_doc *doc, jlp_val *dict, const char *key);

/** A class or function reference module.qualname (both NUL-terminated, non-empty). */
JLP_API jlp_val *jlp_new_global(jlp_doc *doc, const char *module, const char *qualname);
/** An instance: written as cls.__new__(cls, *args) (NEWOBJ) then BUILD(state) when
 *  state is not NULL. args NULL = (). */
JLP_API jlp_val *jlp_new_object(jlp_doc *doc, jlp_val *cls, jlp_val *args, jlp_val *state);
/** An instance made with keyword arguments: cls.__new__(cls, *args, **kwargs), written
 *  as NEWOBJ_EX from protocol 4 and below as a call of copyreg.__newobj_ex__(cls, args,
 *  kwargs), which Python loads to the same object (Python's own pickler writes a
 *  functools.partial of cls.__new__ there); kwargs (a dict with str keys) NULL is
 *  jlp_new_object. */
JLP_API jlp_val *jlp_new_object_ex(jlp_doc *doc, jlp_val *cls, jlp_val *args, jlp_val *kwargs,
                                   jlp_val *state);
/** The result of calling `callable(*args)` (REDUCE); args NULL = (). */
JLP_API jlp_val *jlp_new_call(jlp_doc *doc, jlp_val *callable, jlp_val *args);
/** A persistent id carrying `value` (written as BINPERSID; as PERSID at protocol 0,
 *  where it must be an ASCII str). */
JLP_API jlp_val *jlp_new_persid(jlp_doc *doc, jlp_val *value);
/** An extension registry code (EXT1/EXT2/EXT4, protocol 2 and later), 1 to 2**31-1. */
JLP_API jlp_val *jlp_new_ext(jlp_doc *doc, int64_t code);
/** Set an object's BUILD state (NULL removes it). @return JLP_OK or INVALID_ARG. */
JLP_API jlp_code jlp_obj_set_state(jlp_doc *doc, jlp_val *obj, jlp_val *state);
/** Set attribute `name` of an object (see jlp_obj_attr): in the slots dict of a
 *  (dict, slots) state when it is there, else in the state dict, which is made when the
 *  state is NULL or None (a (None, slots) state becomes a new (dict, slots) tuple).
 *  @return JLP_OK, BAD_TYPE (a state that is neither a dict nor such a tuple),
 *  INVALID_ARG, NOMEM. */
JLP_API jlp_code jlp_obj_set_attr(jlp_doc *doc, jlp_val *obj, const char *name, jlp_val *value);
/** Remove attribute `name` of an object. @return JLP_OK, NOT_FOUND, INVALID_ARG. */
JLP_API jlp_code jlp_obj_del_attr(jlp_doc *doc, jlp_val *obj, const char *name);
/** Add to an object's list items (APPENDS) or dict items (SETITEMS). */
JLP_API jlp_code jlp_obj_append_item(jlp_doc *doc, jlp_val *obj, jlp_val *item);
JLP_API jlp_code jlp_obj_set_dictitem(jlp_doc *doc, jlp_val *obj, jlp_val *key, jlp_val *value);

/** A numpy dtype from numpy's text: a type string ("<f8", "f8" (host order), "|S4",
 *  "<U3", "<M8[ns]"), a name or character code numpy.dtype() accepts ("float",
 *  "float64", "double", "int", "int32", "intp", "uint8", "bool", "complex128", "str",
 *  "bytes", "object", "datetime64[ns]", "d", "i", "?"...; spelled as numpy spells them)
 *  or a structured description in Python literal form ("[('a', '<i4'), ('b', '<f8',
 *  (2,))]", or numpy's dict form "{'names': ['a', 'b'], 'formats': ['<i4', '<i2'],
 *  'offsets': [2, 0], 'itemsize': 6}" with optional 'titles', for fields that overlap
 *  or are out of order; either may stand for a field's format in the other).
 *  @return the dtype, or NULL with err filled (BAD_DTYPE). */
JLP_API jlp_val *jlp_new_dtype(jlp_doc *doc, const char *descr, jlp_error *err);
/** A copy in `doc` of a dtype of any document (its metadata left out).
 *  @return the dtype, or NULL with err filled (INVALID_ARG, NOMEM, LIMIT; a NULL dtype
 *  keeps the error already in `err`, section 2). */
JLP_API jlp_val *jlp_new_dtype_copy(jlp_doc *doc, const jlp_val *dtype, jlp_error *err);

/** How jlp_new_array takes the caller's bytes. */
typedef enum jlp_ownership {
    JLP_COPY = 0,    /**< copied into the document now */
    JLP_BORROW = 1   /**< used in place: they must stay valid and unchanged until the
                          document is freed (or the array replaced) */
} jlp_ownership;

/** An ndarray of `dtype` and `shape` whose bytes (count * itemsize of them, in `order`
 *  'C' or 'F', in the dtype's byte order) are at `data`. For an object dtype pass the
 *  elements as jlp_val pointers with jlp_new_object_array instead.
 *  @return the array, or NULL with err filled (INVALID_ARG when nbytes does not match,
 *  BAD_ARRAY, NOMEM; a NULL dtype keeps the error already in `err`, section 2). */
JLP_API jlp_val *jlp_new_array(jlp_doc *doc, const jlp_val *dtype, uint32_t ndim, const uint64_t *shape,
                               char order, const void *data, size_t nbytes, jlp_ownership own,
                               jlp_error *err);
/** An object-dtype ndarray of `count` = prod(shape) elements given in C order. */
JLP_API jlp_val *jlp_new_object_array(jlp_doc *doc, uint32_t ndim, const uint64_t *shape,
                                      jlp_val *const *items, jlp_error *err);
/** The same, stored in `order` 'C' or 'F' (numpy pickles is_fortran with the elements,
 *  which are still given and written in C order). */
JLP_API jlp_val *jlp_new_object_array_ex(jlp_doc *doc, uint32_t ndim, const uint64_t *shape, char order,
                                         jlp_val *const *items, jlp_error *err);
/** A numpy scalar of `dtype` whose item bytes are at `data` (itemsize bytes, copied).
 *  @return the scalar, or NULL with err filled (INVALID_ARG; a NULL dtype keeps the
 *  error already in `err`, section 2). */
JLP_API jlp_val *jlp_new_scalar(jlp_doc *doc, const jlp_val *dtype, const void *data, jlp_error *err);
/** A writable pointer to an array's bytes, for editing in place: bytes borrowed from the
 *  input, the caller or a read-only mapping are first copied into the document; bytes
 *  in a copy-on-write mapping (JLP_MMAP_COPY_ON_WRITE) are edited where they are.
 *  @return the pointer (nbytes of jlp_array_get), or NULL for object arrays, non-arrays
 *  or on allocation failure. */
JLP_API void *jlp_array_data_mut(jlp_doc *doc, jlp_val *arr);

/* =====================================================================================
 * 11. Writing
 *
 * The writer produces what Python's joblib.dump (pure-Python pickler) writes: protocol 4
 * by default, the memo as Python's pickler uses it, PEP 3154 frames that end at each
 * array wrapper, and 16-byte aligned array payloads; or plain pickles whose arrays use
 * numpy's own reduce (JLP_ARRAYS_NUMPY), which pickle.load reads without joblib.
 * Every writer walks the value graph iteratively; shared values and cycles are written
 * once and fetched from the memo.
 * ===================================================================================== */

typedef enum jlp_array_format {
    JLP_ARRAYS_JOBLIB = 0,   /**< joblib's NumpyArrayWrapper + raw payload (joblib.load) */
    JLP_ARRAYS_NUMPY = 1     /**< numpy's reduce (pickle.load; joblib.load too) */
} jlp_array_format;

typedef struct jlp_write_opts {
    size_t size;             /**< sizeof(jlp_write_opts): set by JLP_WRITE_OPTS_INIT */
    int protocol;            /**< 0..5 (default 4, what joblib writes on Python 3.8-3.13) */
    jlp_array_format arrays;
    const char *codec;       /**< "none", "zlib", "gzip", "bz2", "lzma", "xz", "lz4",
                                  "zstd"; NULL: from the file name's extension for path
                                  writes (.z .gz .bz2 .lzma .xz .lz4 .zst), else "none" */
    int level;               /**< codec level; -1: the codec's joblib default */
    int threads;             /**< worker threads for xz, zstd, zlib and gzip (0 or 1: none) */
    const jlp_alc *alc;      /**< the writer's working memory; NULL: malloc */
    const struct jlp_registry *registry; /**< where codecs are found; NULL: built-in */
    /** jlp_dump_path only: 1 (default) makes the new file durable before it replaces
     *  `path` (its data and the directory entry are fsynced; while the file is written,
     *  write-back of what is already written is started, so the final fsync waits only
     *  for the tail); 0 skips both fsyncs, as joblib.dump does: the replacement stays
     *  atomic for other processes, but after a power loss or OS crash `path` may hold
     *  the old file or a file whose data never reached the disk (on ext4, zero-length).
     *  Other writers ignore it. */
    int durable;
    int reserved;            /**< 0 (keeps the struct growable; a later field takes it) */
} jlp_write_opts;
#define JLP_WRITE_OPTS_INIT { sizeof(jlp_write_opts), 4, JLP_ARRAYS_JOBLIB, NULL, -1, 0, NULL, NULL, 1, 0 }

/** Fill `opts` with the defaults (the same as JLP_WRITE_OPTS_INIT). NULL is ignored.
 *  Inline, as jlp_limits_init. Thread-safe. */
static inline void jlp_write_opts_init(jlp_write_opts *opts) {
    jlp_write_opts d = JLP_WRITE_OPTS_INIT;
    if (opts) *opts = d;
}

/** Write `root` (a value of any document) to `path` atomically: into a temporary file
 *  in the same directory, then renamed over `path`; with opts->durable (the default)
 *  the file is fsynced before the rename and the directory after it. On any failure
 *  `path` keeps its old content (or stays absent) and the temporary file is removed.
 *  A new file gets mode 0644.
 *  @return JLP_OK, or the error (IO with errno text, UNSUPPORTED for values the chosen
 *  protocol cannot express, CYCLE for a value that reaches itself only through values
 *  pickle memoizes after their parts (tuples, frozensets, sets below protocol 4, an
 *  object's class and arguments; Python's pickle recurses without end on those),
 *  INVALID_ARG, NOMEM). A NULL root (a failed lookup) keeps the error already in `err`
 *  and returns its code, or is INVALID_ARG "NULL value" (section 2); so do the other
 *  jlp_dump_* calls. */
JLP_API jlp_code jlp_dump_path(const jlp_val *root, const char *path, const jlp_write_opts *opts,
                               jlp_error *err);
/** Write to a file descriptor from its current position (pipes work; nothing seeks).
 *  Array padding is computed from the descriptor's position when it can be queried, else
 *  from 0. The descriptor is not closed. @return as jlp_dump_path (a NULL root too). */
JLP_API jlp_code jlp_dump_fd(const jlp_val *root, int fd, const jlp_write_opts *opts, jlp_error *err);
/** Write with fwrite() to `fp` (not closed; not flushed beyond stdio). @return as
 *  jlp_dump_path (a NULL root too). */
JLP_API jlp_code jlp_dump_file(const jlp_val *root, FILE *fp, const jlp_write_opts *opts, jlp_error *err);
/** Write through a callback (jlp_write_fn returns nonzero to fail the write with IO).
 *  @return as jlp_dump_path (a NULL root too). */
JLP_API jlp_code jlp_dump_cb(const jlp_val *root, jlp_write_fn fn, void *ctx, const jlp_write_opts *opts,
                             jlp_error *err);
/** Write into a new malloc()ed buffer (*out, *len); the caller frees it with free().
 *  @return as jlp_dump_path (a NULL root too); *out is NULL and *len 0 on failure. */
JLP_API jlp_code jlp_dump_mem(const jlp_val *root, const jlp_write_opts *opts, void **out, size_t *len,
                              jlp_error *err);

/* =====================================================================================
 * 12. JSON export (spec/JSON.md)
 *
 * The export is lossless and unambiguous: an object with exactly one key starting with
 * '$' is a tagged value, any other object is a Python dict with str keys. Shared
 * containers and cycles print as {"$ref": "<JSON pointer of the first occurrence>"}.
 * Output is compact (no spaces) and ends with "\n".
 * ===================================================================================== */

typedef struct jlp_json_opts {
    size_t size;           /**< sizeof(jlp_json_opts): set by JLP_JSON_OPTS_INIT */
    uint64_t max_items;    /**< arrays with more elements print nbytes+sha256 instead of
                                data; 0 prints all (default 1000) */
    const jlp_alc *alc;    /**< the exporter's working memory; NULL: malloc */
} jlp_json_opts;
#define JLP_JSON_OPTS_INIT { sizeof(jlp_json_opts), 1000, NULL }

/** Fill `opts` with the defaults (the same as JLP_JSON_OPTS_INIT). NULL is ignored.
 *  Inline, as jlp_limits_init. Thread-safe. */
static inline void jlp_json_opts_init(jlp_json_opts *opts) {
    jlp_json_opts d = JLP_JSON_OPTS_INIT;
    if (opts) *opts = d;
}


/** Export `v` as JSON through `fn`. opts NULL = defaults.
 *  @return JLP_OK, JLP_E_INVALID_ARG (NULL fn; a NULL v keeps the error already in `err`,
 *  else is INVALID_ARG "NULL value", section 2), JLP_E_IO (fn failed), JLP_E_NOMEM,
 *  JLP_E_UNSUPPORTED (a numpy U item holds a code point above U+10FFFF: numpy reads it
 *  into a str that neither UTF-8 nor JSON can carry). On failure part of the text may
 *  already have gone to `fn`.
 *  Thread-safe for concurrent readers of the same document. */
JLP_API jlp_code jlp_export_json(const jlp_val *v, const jlp_json_opts *opts,
                                 jlp_write_fn fn, void *ctx, jlp_error *err);
/** Export into `fp`. @return as jlp_export_json (JLP_E_IO when fwrite fails). */
JLP_API jlp_code jlp_export_json_file(const jlp_val *v, const jlp_json_opts *opts, FILE *fp,
                                      jlp_error *err);
/** Export into a new NUL-terminated string allocated with malloc() (whatever opts->alc
 *  says: the caller frees it with free()). `len` (may be NULL) receives the length
 *  without the NUL.
 *  @return the string, or NULL with err filled. */
JLP_API char *jlp_export_json_str(const jlp_val *v, const jlp_json_opts *opts, size_t *len,
                                  jlp_error *err);

/* =====================================================================================
 * 13. .npy files
 *
 * numpy's own array files (numpy.save, numpy.load), format versions 1.0, 2.0 and 3.0:
 * a magic, a header (the repr of a dict: descr, fortran_order, shape) padded so the
 * data starts at a multiple of 64, then the array's bytes; for an object array a pickle
 * of the array instead. The loaders produce a document whose root is the JLP_NDARRAY
 * (origin JLP_ORIGIN_NPY, container "npy"); the pickle loaders refuse .npy files with
 * JLP_E_UNKNOWN_FORMAT. A header is read as numpy reads it: exactly the three keys,
 * shape a tuple of ints, fortran_order a bool, descr a type string or a field list
 * ('' |V entries are padding); headers of up to 1 MiB are
 * accepted (numpy.load stops at 10000 characters unless allow_pickle). Bytes after the
 * data are ignored, as numpy.load ignores them.
 *
 * Errors: UNKNOWN_FORMAT (no .npy magic, offset 0), UNSUPPORTED (a format version other
 * than 1.0/2.0/3.0, offset 6; an object array without JLP_READ_NPY_PICKLE, offset of the
 * data), TRUNCATED, LIMIT (header over 1 MiB at offset 8; data over limits.max_alloc
 * from a stream), BAD_UTF8 (a 3.0 header), BAD_ARRAY (a header numpy would refuse; the
 * offset is where the header text starts), BAD_DTYPE (its descr), and the errors of the
 * pickle of an object array. `offset` counts from the magic.
 * ===================================================================================== */

/** Load the .npy file at `path`. With opts->mmap the file is mapped read-only and the
 *  array's data points into the mapping (JLP_STORE_MMAP, zero-copy; numpy.save aligns it
 *  to 64 bytes); otherwise it is read into the document. opts->align applies as for
 *  joblib files; opts->flags JLP_READ_NPY_PICKLE allows object arrays; limits apply.
 *  IO and MMAP errors name the path.
 *  @return the document (root: the array), or NULL with err filled (INVALID_ARG for a
 *  NULL path). Thread-safe (different documents). */
JLP_API jlp_doc *jlp_load_npy_path(const char *path, const jlp_read_opts *opts, jlp_error *err);
/** Load a .npy file held in memory (a member of an archive, for instance). The data is
 *  borrowed, not copied: `data` must outlive the document (JLP_STORE_BORROWED).
 *  @return the document, or NULL with err filled (INVALID_ARG for NULL data with len >
 *  0). Thread-safe. */
JLP_API jlp_doc *jlp_load_npy_mem(const void *data, size_t len, const jlp_read_opts *opts, jlp_error *err);
/** Load a .npy file from `src` at its current position, reading exactly its header and
 *  data (or its pickle): the source is left just after them. Memory sources lend their
 *  bytes as jlp_load_npy_mem does. @return the document, or NULL with err filled
 *  (INVALID_ARG for a NULL source). One thread per source. */
JLP_API jlp_doc *jlp_load_npy(jlp_source *src, const jlp_read_opts *opts, jlp_error *err);

/** @return 1 when `head` (len bytes) starts with the .npy magic "\x93NUMPY", else 0
 *  (also for NULL or fewer than 6 bytes). Thread-safe. */
JLP_API int jlp_is_npy(const void *head, size_t len);

/** Write the array `arr` (a JLP_NDARRAY of any document, or a numpy scalar, written as
 *  a 0-d array) as the .npy file numpy.save writes, byte for byte: version 1.0, or 2.0
 *  when the header needs more than 65535 bytes, or 3.0 when it holds characters beyond
 *  latin-1; the data in the array's own byte order and memory order (fortran_order set
 *  as numpy sets it); an object array as its pickle (protocol 3, numpy's reduce).
 *  Field names are quoted as Python's repr() quotes them, except that some rarely used
 *  non-printable code points are written as themselves (numpy.load reads both alike).
 *  The file is written atomically as jlp_dump_path does; IO errors name the path.
 *  @return JLP_OK; INVALID_ARG (not an array or scalar, NULL or empty path; a NULL arr
 *  keeps the error already in `err`, else is INVALID_ARG "NULL value", section 2);
 *  UNSUPPORTED (overlapping or out-of-order fields, which numpy cannot describe either;
 *  a scalar of object dtype); IO; NOMEM; the writer's errors for an object array.
 *  Thread-safe for concurrent readers of the document. */
JLP_API jlp_code jlp_dump_npy_path(const jlp_val *arr, const char *path, jlp_error *err);
/** Write the .npy file through `fn` (nonzero from fn fails with IO). @return as
 *  jlp_dump_npy_path (INVALID_ARG for a NULL fn). */
JLP_API jlp_code jlp_dump_npy_cb(const jlp_val *arr, jlp_write_fn fn, void *ctx, jlp_error *err);
/** Write the .npy file into a new malloc()ed buffer (*out, *len; len may be NULL); the
 *  caller frees it with free(). @return as jlp_dump_npy_path (INVALID_ARG for a NULL
 *  out; *out stays NULL on failure). */
JLP_API jlp_code jlp_dump_npy_mem(const jlp_val *arr, void **out, size_t *len, jlp_error *err);

/* =====================================================================================
 * 14. Archives: zip and tar bundles, .npz files, PyTorch checkpoints
 *
 * Files that hold pickles are often archives: `model.tar.gz` holding `model.joblib`,
 * numpy's `.npz` (a zip of .npy files), PyTorch's `.pt`/`.pth`/`pytorch_model.bin` (a
 * zip whose `data.pkl` names tensor storages stored beside it). jlp_load_path() and
 * jlp_load_mem() recognise them by their first bytes and load them (see
 * jlp_load_archive()); the calls below list members, read them, load them, and open
 * archives nested in archives.
 *
 * Formats: zip (members stored, deflated, or compressed with any method the linked
 * libarchive decodes) and tar (ustar, pax, GNU, v7), a tar also inside any compressor
 * the codec registry detects (tar.gz, tar.bz2, tar.xz, tar.zst, tar.lz4, ...). Built
 * without libarchive, zip archives whose members are stored still work; others fail
 * with JLP_E_CODEC_MISSING.
 *
 * Safety: a zip's central directory is cross-checked with every local header (name,
 * method, flags, CRC, sizes), members may not overlap each other or the directory, and
 * nothing may precede the first member or follow the end record; any disagreement is
 * JLP_E_ARCHIVE, because two zip readers would see two different archives. Member
 * names are never used as file system paths: absolute names and names with a `..`
 * component, a drive letter or a backslash are only reported (JLP_MEMBER_UNSAFE_NAME),
 * and links are listed but never followed. Every member read is bounded (declared and
 * actual size, ratio, total), and a member's bytes must match its declared size and
 * CRC-32.
 *
 * Thread safety: an open archive is immutable. Its accessors, member sources and loads
 * may be used from several threads at once (each source by one thread); free it once
 * no call is running. libarchive's own allocations use malloc, not jlp_alc.
 * ===================================================================================== */

typedef struct jlp_archive jlp_archive;

/** Budgets for reading archives. Defaults are safe for a stranger's file and generous
 *  for real checkpoints; 0 means "no limit" for the 64-bit fields. */
typedef struct jlp_archive_opts {
    size_t size;               /**< sizeof(jlp_archive_opts): set by the _INIT macro and
                                    jlp_archive_opts_init(); fields past it take defaults */
    uint64_t max_members;      /**< entries an archive may list (default 100000) */
    uint64_t max_member_size;  /**< decoded bytes of one member, declared or actual
                                    (default 64 GiB) */
    uint64_t max_total;        /**< decoded bytes read from one archive by all member
                                    reads together, and what a compressed tar may decode
                                    to (default 256 GiB); mapped members do not count */
    uint64_t max_ratio;        /**< decoded/compressed bytes of a member or a compressed
                                    tar, once past 64 MiB decoded (default 1100: deflate
                                    cannot exceed 1032, so every deflated member passes) */
    uint32_t max_depth;        /**< archives opened inside archives (default 4; 0: no
                                    limit) */
    int verify_mapped_crc;     /**< nonzero: check the CRC-32 of stored members that are
                                    mapped in place too (reads every page once) */
    const jlp_alc *alc;        /**< NULL: the default allocator */
    const struct jlp_registry *registry; /**< codecs for compressed tars; NULL: built-in */
} jlp_archive_opts;

#define JLP_ARCHIVE_OPTS_INIT                                                               \
    { sizeof(jlp_archive_opts), 100000, (uint64_t)64 << 30, (uint64_t)256 << 30, 1100, 4, 0, \
      NULL, NULL }

/** Fill `opts` with the defaults (the same as JLP_ARCHIVE_OPTS_INIT). NULL is ignored.
 *  Inline, as jlp_read_opts_init. Thread-safe. */
static inline void jlp_archive_opts_init(jlp_archive_opts *opts) {
    jlp_archive_opts d = JLP_ARCHIVE_OPTS_INIT;
    if (opts) *opts = d;
}

/** Whether the bytes at `data` are an archive that jlp_load_mem() (and jlp_load_path()
 *  for a file with these bytes) loads as one: "zip" or "tar" (a tar also inside a codec
 *  of opts->registry, looked for in the first 512 decoded bytes), or NULL (a pickle, a
 *  compressed pickle, anything else; NULL data or len 0). opts NULL = defaults (only
 *  alc and registry are used). Thread-safe. */
JLP_API const char *jlp_archive_detect(const void *data, size_t len, const jlp_read_opts *opts);

/** Open the zip or tar archive at `path` (a regular file; it is mapped read-only and
 *  the mapping lives as long as the archive or any document whose arrays point into
 *  it). A compressed tar is detected by its codec's magic, as joblib files are.
 *  @return the archive, or NULL with err: IO (the message names the path), MMAP,
 *  UNKNOWN_FORMAT (neither zip nor tar), TRUNCATED, ARCHIVE, LIMIT, CODEC_MISSING,
 *  NOMEM; INVALID_ARG or UNSUPPORTED for options whose size is unset or that set fields
 *  this library does not know (see section 1). opts NULL = defaults. */
JLP_API jlp_archive *jlp_archive_open_path(const char *path, const jlp_archive_opts *opts,
                                           jlp_error *err);
/** Open an archive held in caller memory (borrowed: it must outlive the archive and
 *  every document loaded from it with mmap). @return as jlp_archive_open_path. */
JLP_API jlp_archive *jlp_archive_open_mem(const void *data, size_t len,
                                          const jlp_archive_opts *opts, jlp_error *err);
/** Open member `i`, itself a zip or tar (or a compressed tar), as an archive. A member
 *  stored uncompressed is used in place; others are decoded into memory (within
 *  max_member_size). The nested archive shares the parent's budgets and may outlive it.
 *  @return the archive, or NULL with err (LIMIT beyond max_depth, MEMBER, and the
 *  errors of jlp_archive_open_mem). */
JLP_API jlp_archive *jlp_archive_open_member(jlp_archive *ar, size_t i, jlp_error *err);
/** Release the archive. Documents loaded from it stay valid. NULL is ignored. */
JLP_API void jlp_archive_free(jlp_archive *ar);

/** @return "zip" or "tar"; NULL for NULL. Static storage. */
JLP_API const char *jlp_archive_format(const jlp_archive *ar);
/** @return "none", or the codec a tar is compressed with ("gzip", "xz", ...); NULL for
 *  NULL. Static storage. */
JLP_API const char *jlp_archive_container(const jlp_archive *ar);
/** @return the number of entries (files, directories, links), 0 for NULL. */
JLP_API size_t jlp_archive_count(const jlp_archive *ar);

/* Member flags (jlp_member_info.flags). */
#define JLP_MEMBER_DIR         0x0001u /**< a directory entry */
#define JLP_MEMBER_LINK        0x0002u /**< a symbolic or hard link: listed, never followed */
#define JLP_MEMBER_SPECIAL     0x0004u /**< a device, FIFO or other non-file entry */
#define JLP_MEMBER_UNSAFE_NAME 0x0008u /**< absolute, `..`, drive letter, backslash or NUL */
#define JLP_MEMBER_DUPLICATE   0x0010u /**< another entry has the same name */
#define JLP_MEMBER_ENCRYPTED   0x0020u /**< zip encryption: not readable */
#define JLP_MEMBER_UNREADABLE  0x0040u /**< a method or feature that cannot be read here */
#define JLP_MEMBER_MAPPABLE    0x0080u /**< the bytes lie uncompressed in the archive, so
                                            a load with mmap points arrays into them */

typedef struct jlp_member_info {
    const char *name;      /**< UTF-8, NUL-terminated (a zip name without the UTF-8 flag
                                is decoded as CP437, as Python's zipfile does) */
    size_t name_len;
    uint64_t size;         /**< decoded bytes, as declared */
    uint64_t csize;        /**< bytes in the archive (compressed size for zip) */
    const char *method;    /**< "stored", "deflated", "bzip2", "lzma", "xz", "zstd",
                                "method-N"; "stored" for every tar entry */
    uint64_t offset;       /**< zip: file offset of the data; tar: offset of the data
                                in the (decoded) tar stream */
    unsigned flags;        /**< JLP_MEMBER_* */
    uint32_t crc32;        /**< zip: the central directory's CRC-32; tar: 0 */
    const char *link;      /**< a link's target, else NULL */
} jlp_member_info;

/** Describe entry `i` (in the archive's order: central directory order for zip, stream
 *  order for tar). @return 1 and fill *info; 0 (info zeroed) when out of range or for
 *  NULL. Strings live as long as the archive. */
JLP_API int jlp_archive_member(const jlp_archive *ar, size_t i, jlp_member_info *info);
/** Find the entry called `name` (exact bytes; for .npz also `name` + ".npy").
 *  @return JLP_OK with *index; MEMBER when there is none or more than one (duplicates
 *  are ambiguous: zip readers disagree on which one wins), INVALID_ARG for NULLs. */
JLP_API jlp_code jlp_archive_find(const jlp_archive *ar, const char *name, size_t *index,
                                  jlp_error *err);
/** A source over the decoded bytes of member `i`, for jlp_load() and friends: its bytes
 *  are copies (documents loaded from it do not depend on the archive). Reading fails
 *  with CORRUPT when the member decodes to more bytes than declared, TRUNCATED when to
 *  fewer, CHECKSUM on a CRC mismatch, LIMIT past a budget.
 *  @return the source (free it with jlp_source_free; it may outlive the archive), or
 *  NULL with err (MEMBER for a directory, link, encrypted or unreadable entry, LIMIT for
 *  a declared size or ratio beyond the budgets, CODEC_MISSING, NOMEM). */
JLP_API jlp_source *jlp_archive_member_source(jlp_archive *ar, size_t i, jlp_error *err);
/** Read member `i` whole into a new malloc()ed buffer (*out, *len; free it with
 *  free()). @return JLP_OK or the errors of jlp_archive_member_source and its reads. */
JLP_API jlp_code jlp_archive_read(jlp_archive *ar, size_t i, void **out, size_t *len,
                                  jlp_error *err);
/** Load member `i` as a file of its own: a pickle or joblib file (compressed or not),
 *  a .npy file, or an archive (loaded as jlp_load_archive() does). With opts->mmap, the
 *  arrays of a member stored uncompressed point into the archive's bytes, which the
 *  document keeps alive. @return the document, or NULL with err; the message starts
 *  with the member's name. */
JLP_API jlp_doc *jlp_archive_load(jlp_archive *ar, size_t i, const jlp_read_opts *opts,
                                  jlp_error *err);

/** What an archive holds, as jlp_load_archive() decides. */
typedef enum jlp_archive_kind {
    JLP_KIND_BUNDLE = 0,      /**< none of the below */
    JLP_KIND_TORCH = 1,       /**< a torch.save checkpoint (zip, format of torch >= 1.6) */
    JLP_KIND_TORCHSCRIPT = 2, /**< a torch.jit.save archive (constants.pkl, code/) */
    JLP_KIND_NPZ = 3,         /**< a zip with .npy members (numpy.savez) */
    JLP_KIND_MODEL = 4,       /**< a bundle with exactly one model member */
    JLP_KIND_LEGACY_TORCH = 5 /**< a tar written by torch.save before 0.4 (not loaded) */
} jlp_archive_kind;

/** Classify the archive. For JLP_KIND_MODEL, *model (may be NULL) receives the index of
 *  its model member: the one regular member whose name ends in .joblib, .pkl, .pickle,
 *  .pt, .pth, .bin, .npy or .npz, optionally followed by a compressor's extension
 *  (.z .gz .bz2 .lzma .xz .lz4 .zst), not counting the companion files of joblib <= 0.9
 *  (`<model>_NN.npy`, `<model>_NN.npy.z`); when there is none, the one regular member
 *  named as an archive (.tar, optionally with a compressor's extension, .tgz, .zip),
 *  which jlp_load_archive() loads by these same rules. @return the kind;
 *  JLP_KIND_BUNDLE for NULL. */
JLP_API jlp_archive_kind jlp_archive_kind_of(const jlp_archive *ar, size_t *model);
/** Load the archive as a whole, as jlp_load_path() does:
 *   - TORCH: `<prefix>/data.pkl` with each persistent id ('storage', type, key,
 *     location, numel) resolved to `<prefix>/data/<key>`, and torch._utils's
 *     _rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3 (torch >= 2.1; a dtype
 *     numpy lacks leaves the call inert) and _rebuild_parameter rebuilt as ndarrays
 *     (origin JLP_ORIGIN_TORCH) of the storage's dtype (bfloat16 as the dtype
 *     "bfloat16", see jlp_dtype_str), shape, strides and storage offset: a C- or
 *     F-contiguous tensor is a view of its storage (tensors sharing a storage share its
 *     bytes; with opts->mmap a stored storage is mapped in place when aligned for the
 *     dtype), any other strides are gathered into a C-ordered copy. Everything else
 *     stays inert, as in every load (a whole nn.Module is an object tree).
 *   - TORCHSCRIPT: data.pkl the same way (code is never run; constants.pkl is not
 *     loaded).
 *   - NPZ: a dict in member order, as numpy.load(allow_pickle=False) gives it: `name`
 *     (the member name without ".npy") -> ndarray for .npy members, -> bytes for others;
 *     object arrays fail with UNSUPPORTED.
 *   - MODEL: jlp_archive_load() of the model member.
 *   - BUNDLE: fails with MEMBER, naming the candidates.
 *   - LEGACY_TORCH, and torch.save files of torch < 1.6 (a pickle whose first value is
 *     the magic number 0x1950a86a20f9469cfc6c): fail with UNSUPPORTED.
 *  @return the document, or NULL with err. */
JLP_API jlp_doc *jlp_load_archive(jlp_archive *ar, const jlp_read_opts *opts, jlp_error *err);

/** Write an .npz file that numpy.load reads as numpy.savez (compress 0: members
 *  stored) or numpy.savez_compressed (compress nonzero: deflated) wrote it. `arrays` is a
 *  dict of str keys (each written as `<key>.npy`; numpy.load gives them back as keys),
 *  a list or tuple (`arr_0.npy`, `arr_1.npy`... as savez(*arrays) names them), a single
 *  array (`arr_0`), or an inert OrderedDict() call (a PyTorch state dict) whose items are
 *  taken; every value must be an ndarray or a numpy scalar (a 0-d array). Each member is
 *  the bytes of jlp_dump_npy_*; a stored member's data starts at a multiple of 64 bytes
 *  (an alignment extra field), so every array of the file maps aligned. Dates are
 *  1980-01-01; zip64 records are written where sizes or offsets need them. The file is
 *  written atomically as jlp_dump_path does.
 *  @return JLP_OK; INVALID_ARG (no arrays given, NULL or empty path; NULL arrays keep
 *  the error already in `err`, section 2); UNSUPPORTED (a
 *  value that is not an array, a key that is not a non-empty str or repeats, a bfloat16
 *  array); CODEC_MISSING (compress without zlib in the build); IO; NOMEM.
 *  Thread-safe for concurrent readers of the document. */
JLP_API jlp_code jlp_dump_npz_path(const jlp_val *arrays, const char *path, int compress, jlp_error *err);
/** Write the .npz file through `fn` (nonzero from fn fails with IO). @return as
 *  jlp_dump_npz_path (INVALID_ARG for a NULL fn). */
JLP_API jlp_code jlp_dump_npz_cb(const jlp_val *arrays, int compress, jlp_write_fn fn, void *ctx,
                                 jlp_error *err);
/** Write the .npz file into a new malloc()ed buffer (*out, *len; len may be NULL); the
 *  caller frees it with free(). @return as jlp_dump_npz_path. */
JLP_API jlp_code jlp_dump_npz_mem(const jlp_val *arrays, int compress, void **out, size_t *len,
                                  jlp_error *err);

#ifdef __cplusplus
}
#endif
#endif /* JLPICKLE_H */
