/*
 * npvalue.h - the payloads of the numpy value kinds (JLP_DTYPE, JLP_NDARRAY and
 * JLP_SCALAR nodes hold them in u.ext): what a document keeps of dtypes, arrays and
 * numpy scalars. numpy/ makes and reads them; the JSON export and the writer read them.
 */
#ifndef JLP_NPVALUE_H
#define JLP_NPVALUE_H

#include "doc.h"

typedef struct jlp__field {
    const char *name;
    size_t name_len;
    jlp_val *name_val;    /* the str node the name came from (kept for rewriting) */
    jlp_val *dtype;       /* JLP_DTYPE */
    uint64_t offset;
    jlp_val *title;       /* NULL when none */
} jlp__field;

typedef struct jlp__dtype_info {
    jlp_doc *doc;         /* the document that owns the node */
    char kind;            /* b i u f c S U V M m O */
    char byteorder;       /* '<' '>' '|' */
    uint64_t itemsize;
    uint32_t alignment;
    int32_t flags;        /* numpy's dtype flags from the pickled state */
    bool hasobject;
    bool built;           /* BUILD applied */
    bool used_unbuilt;    /* items were made of it before its BUILD (jlp__dt_use) */
    bool bfloat16;        /* PyTorch's bfloat16 (kind 'V', itemsize 2, str "bfloat16"):
                             the upper half of an IEEE float32, in `byteorder` */
    uint8_t depth;        /* nesting of fields and subarrays (bounded, see dtype.c) */
    bool structured;      /* has names and fields (even none: numpy's dtype([])) */
    size_t nfields;
    jlp__field *fields;    /* in `names` order */
    jlp_val *sub_base;    /* subarray base dtype, or NULL */
    size_t sub_ndim;
    uint64_t *sub_shape;
    char unit[8];         /* datetime unit ("ns"), empty when generic */
    int64_t unit_num;
    jlp_val *metadata;
    char str[40];         /* numpy's dtype.str, computed at BUILD */
    const char *forged;   /* a scan reading accepted a state numpy accepts but whose
                             fields, offsets or flags do not fit: why; NULL otherwise */
    bool forged_memory;   /* ...and numpy then reads raw bytes as object pointers or
                             past the item (false: a lie numpy never writes, with no
                             known memory effect) */
    const char *stand_in; /* a scan reading's object dtype standing for a numpy.dtype()
                             argument the reader does not model: what it was; NULL
                             otherwise */
} jlp__dtype_info;

/* A conversion of an array's elements made for a typed view (view.c), kept for the
 * document's lifetime so the same request returns the same bytes. */
typedef struct jlp__conv {
    struct jlp__conv *next;
    int64_t field;        /* index of the field viewed, -1 for the whole array */
    int elem;             /* jlp_elem */
    bool round;           /* made with JLP_AS_ROUND */
    const void *data;
    const uint64_t *shape;
    uint32_t ndim;
    uint64_t count;
} jlp__conv;

typedef struct jlp__ndarray {
    jlp_doc *doc;         /* the document that owns the node (typed views convert into it) */
    jlp__conv *convs;     /* conversions made for typed views, newest first */
    jlp_val *dtype;       /* JLP_DTYPE */
    uint32_t ndim;
    uint64_t *shape;
    uint64_t count;       /* elements */
    char order;           /* 'C' or 'F': memory order of data */
    const uint8_t *data;  /* NULL for object arrays */
    uint64_t nbytes;
    jlp_val *objects;     /* object arrays: JLP_LIST of the elements in C order */
    uint8_t storage;      /* jlp_storage */
    uint8_t origin;       /* jlp_array_origin */
    uint64_t offset;      /* decoded-stream offset of data, UINT64_MAX when none */
    jlp_val *subclass;    /* the subclass global recorded by joblib, or NULL */
    jlp_val *wrapper_dtype; /* joblib object arrays: the wrapper state's dtype node (the
                               nested pickle has its own); NULL otherwise */
    bool pending;         /* _reconstruct placeholder waiting for its BUILD */
    bool unbuilt;         /* pending with no value numpy would give the same way (its items
                             uninitialised memory): counted in doc->unbuilt */
    uint8_t py_order;     /* jlp__py_order: what Python's loader did to its byte order */
} jlp__ndarray;

/* What Python's loader does with an array whose bytes are not in the host's order (the
 * document keeps the file's order; a rewrite must give Python what it had). */
typedef enum jlp__py_order {
    JLP_PY_ORDER_KEPT = 0,   /* the byte order stays (numpy's _frombuffer, the builder) */
    JLP_PY_ORDER_NUMPY = 1,  /* numpy's __setstate__ (protocols 0-4, ZF companions) swaps an
                                array whose dtype is not native at its top (not the fields of
                                a structured dtype) and makes the dtype native */
    JLP_PY_ORDER_JOBLIB = 2  /* joblib's read (wrappers, .npy companions): as numpy, and also
                                a structured dtype whose fields all are in the other order */
} jlp__py_order;

typedef struct jlp__scalar {
    jlp_val *dtype;
    const uint8_t *data;  /* itemsize bytes */
    jlp_val *object;      /* object dtype scalars */
} jlp__scalar;

static inline jlp__dtype_info *jlp__dt(const jlp_val *v) { return (jlp__dtype_info *)v->u.ext; }
static inline jlp__ndarray *jlp__arr(const jlp_val *v) { return (jlp__ndarray *)v->u.ext; }
static inline jlp__scalar *jlp__sc(const jlp_val *v) { return (jlp__scalar *)v->u.ext; }

#endif
