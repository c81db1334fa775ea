/*
 * fuzz_safety.c - libFuzzer target: the trace callback (jlp_read_opts.trace), the
 * loader's view that a safety scanner such as jlinspect --safety is built on.
 *
 * jlinspect keeps its scan inside the tool (static functions, global state, main()),
 * so this target checks what any scanner relies on instead of the verdict: that the
 * event stream describes the pickle faithfully. The input is loaded pickle after pickle
 * (at most 4, any container, tight budgets) with a trace callback that checks each
 * event as it arrives:
 *
 *   - kinds: OPCODE events have an opcode 0..255 and its pickletools name (upper-case,
 *     digits, '_'), PAYLOAD and NESTED events have opcode -1 and no name; NESTED has
 *     length 0; memo keys are given exactly for the memo opcodes (PUT BINPUT LONG_BINPUT
 *     MEMOIZE GET BINGET LONG_BINGET) and are >= 0 there; callable only for REDUCE,
 *     NEWOBJ, NEWOBJ_EX, OBJ, INST, BUILD; GLOBAL/STACK_GLOBAL produce a global;
 *   - offsets: within a depth, opcodes tile the stream: each starts where the previous
 *     one ended (offset == previous offset + length), lengths are >= 1, the first starts
 *     where the pickle does; a payload lies after the start of the opcode that reads it
 *     and inside that opcode's span, and for uncompressed input inside the input; a
 *     nested pickle (NESTED at depth d) is followed by events at depth d + 1, from its
 *     offset, up to its STOP, then depth d resumes;
 *   - stack and marks: MARK opens one mark, the opcodes that take a mark close one,
 *     push-one opcodes add one value, STOP leaves one value fewer (checked per depth,
 *     each nested pickle having a stack of its own);
 *   - values are readable during the call: every value and callable is walked through
 *     the accessors (strings, bytes, array data read in full, up to a bound);
 *   - on success the last event is the STOP at depth 0, ending at start + consumed; on
 *     failure the error lies at or after the last event's end;
 *   - tracing changes nothing: a load without the callback gives the same document
 *     (JSON hash) or the same error;
 *   - a callback that stops the load at the k-th event (k from the input) makes the load
 *     fail with INVALID_ARG, leaking nothing.
 */
#define FZ_TARGET "fuzz_safety"
#include "fuzz_common.h"
#include "jlpickle_codec.h"

#define MAX_DEPTH 64
#define READ_MAX 4096

typedef struct level {
    uint64_t next;      /* where the next opcode must start */
    uint64_t stack, marks;
    int started;        /* an opcode was seen (prev stack/marks valid) */
    uint64_t payload_end; /* a payload read by the opcode in progress ends here (0: none) */
    uint64_t payload_at;
} level;

typedef struct tracer {
    level lv[MAX_DEPTH];
    int depth;          /* the depth events must have now */
    uint64_t events, opcodes0;
    uint64_t input_size; /* for uncompressed input, else 0 */
    uint64_t stop_at;   /* nonzero: return 1 at this event number */
    int last_kind, last_op, last_depth;
    uint64_t last_end;  /* end of the last opcode event at depth 0 */
    uint64_t sum;       /* bytes read through values */
} tracer;

static int memo_op(int op) {
    return op == 'p' || op == 'q' || op == 'r' || op == 0x94 || op == 'g' || op == 'h' || op == 'j';
}

static int callable_op(int op) {
    return op == 'R' || op == 0x81 || op == 0x92 || op == 'o' || op == 'i' || op == 'b';
}

/* Opcodes that push exactly one value and leave the marks alone. */
static int push_one(int op) {
    static const char ops[] = "NJKMILFGSTUVXBC]})gjh\x88\x89\x8a\x8b\x8c\x8d\x8e\x96\x8f\x82\x83\x84P\x97" "c";
    return op != 0 && strchr(ops, op) != NULL;
}

/* Opcodes that take everything above the topmost mark (and the mark). */
static int mark_op(int op) {
    static const char ops[] = "tld\x91" "eu\x90" "1oi";
    return op != 0 && strchr(ops, op) != NULL;
}

/* Read a value through the public accessors (bounded): faults and ASan reports show
 * values that are not consistent while the load is in progress. */
static void touch(tracer *t, const jlp_val *v, int depth) {
    if (!v || depth > 3) return;
    jlp_type ty = jlp_get_type(v);
    FZ_CHECK(ty > JLP_INVALID && ty <= JLP_EXT, "event value of an invalid type", ty, 0);
    FZ_CHECK(jlp_type_name(ty) != NULL, "type name", ty, 0);
    size_t n = 0;
    const char *s;
    switch (ty) {
    case JLP_STR: case JLP_BYTES: case JLP_BYTEARRAY:
        s = jlp_get_str(v, &n);
        FZ_CHECK(s != NULL || n == 0, "string without bytes", n, 0);
        for (size_t i = 0; i < n && i < READ_MAX; i++) t->sum += (uint8_t)s[i];
        if (ty == JLP_STR) FZ_CHECK(s[n] == 0, "a str is not NUL-terminated", n, 0);
        break;
    case JLP_BIGINT: {
        const uint8_t *b = jlp_get_bigint(v, &n);
        FZ_CHECK(b != NULL && n > 0, "bigint without bytes", n, 0);
        t->sum += b[n - 1];
        break;
    }
    case JLP_GLOBAL: {
        size_t ml = 0, nl = 0;
        const char *m = jlp_global_module(v, &ml), *nm = jlp_global_name(v, &nl);
        FZ_CHECK(m && nm && m[ml] == 0 && nm[nl] == 0, "global names", ml, nl);
        break;
    }
    case JLP_TUPLE: case JLP_LIST: case JLP_SET: case JLP_FROZENSET:
        for (size_t i = 0; i < jlp_len(v) && i < 4; i++) touch(t, jlp_item(v, i), depth + 1);
        break;
    case JLP_DICT:
        for (size_t i = 0; i < jlp_len(v) && i < 4; i++) {
            touch(t, jlp_dict_key(v, i), depth + 1);
            touch(t, jlp_dict_value(v, i), depth + 1);
        }
        break;
    case JLP_OBJECT:
        FZ_CHECK(jlp_obj_get_kind(v) != JLP_OBJ_NONE, "object without kind", 0, 0);
        FZ_CHECK(jlp_get_type(jlp_obj_args(v)) == JLP_TUPLE, "object args are not a tuple", 0, 0);
        touch(t, jlp_obj_callable(v), depth + 1);
        touch(t, jlp_obj_args(v), depth + 1);
        touch(t, jlp_obj_kwargs(v), depth + 1);
        touch(t, jlp_obj_state(v), depth + 1);
        break;
    case JLP_NDARRAY: {
        jlp_array_info ai = JLP_ARRAY_INFO_INIT;
        if (jlp_array_get(v, &ai) && ai.data)
            for (uint64_t i = 0; i < ai.nbytes && i < READ_MAX; i++) t->sum += ((const uint8_t *)ai.data)[i];
        break;
    }
    case JLP_DTYPE:
        FZ_CHECK(jlp_dtype_str(v) != NULL, "dtype without str", 0, 0);
        break;
    case JLP_SCALAR:
        touch(t, jlp_scalar_dtype(v), depth + 1);
        (void)jlp_scalar_data(v, &n);
        break;
    case JLP_PERSID:
        touch(t, jlp_persid_value(v), depth + 1);
        break;
    default:
        break;
    }
}

static int on_event(void *ctx, const jlp_event *ev) {
    tracer *t = ctx;
    t->events++;
    FZ_CHECK(ev->kind == JLP_EV_OPCODE || ev->kind == JLP_EV_PAYLOAD || ev->kind == JLP_EV_NESTED, "event kind",
             ev->kind, 0);
    FZ_CHECK(ev->depth >= 0 && ev->depth < MAX_DEPTH, "event depth out of range", ev->depth, 0);
    FZ_EQ("event at an unexpected depth", (int64_t)ev->depth, (int64_t)t->depth);
    level *L = &t->lv[ev->depth];
    if (ev->kind != JLP_EV_OPCODE) {
        FZ_EQ("non-opcode event with an opcode", ev->opcode, -1);
        FZ_CHECK(ev->name == NULL && ev->value == NULL && ev->callable == NULL, "non-opcode event with name or values", 0, 0);
        FZ_EQ("non-opcode event with a memo key", ev->memo, -1);
        FZ_CHECK(ev->offset >= L->next, "payload or nested pickle before the opcode that reads it", ev->offset, L->next);
        if (t->input_size)
            FZ_CHECK(ev->offset <= t->input_size && ev->length <= t->input_size - ev->offset,
                     "payload outside the input", ev->offset, ev->length);
        if (ev->kind == JLP_EV_NESTED) {
            FZ_EQ("NESTED event with a length", ev->length, 0);
            FZ_CHECK(ev->depth + 1 < MAX_DEPTH, "nesting too deep", ev->depth, 0);
            level *N = &t->lv[ev->depth + 1];
            memset(N, 0, sizeof *N);
            N->next = ev->offset;
            t->depth = ev->depth + 1;
        } else {
            FZ_CHECK(ev->offset >= L->payload_end, "payloads of one opcode overlap", ev->offset, L->payload_end);
            if (!L->payload_end) L->payload_at = ev->offset;
            L->payload_end = ev->offset + ev->length;
        }
    } else {
        int op = ev->opcode;
        FZ_CHECK(op >= 0 && op <= 255, "opcode out of range", op, 0);
        FZ_CHECK(ev->name && ev->name[0], "opcode event without a name", op, 0);
        for (const char *p = ev->name; *p; p++)
            FZ_CHECK((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_', "opcode name characters", op, *p);
        FZ_CHECK(ev->length >= 1, "an opcode of length 0", op, ev->offset);
        FZ_EQ("opcodes do not tile the stream (offset != previous end)", ev->offset, L->next);
        if (L->payload_end)
            FZ_CHECK(ev->offset + ev->length >= L->payload_end, "a payload outside the span of its opcode",
                     ev->offset + ev->length, L->payload_end);
        L->payload_end = 0;
        if (memo_op(op)) FZ_CHECK(ev->memo >= 0, "memo opcode without a memo key", op, 0);
        else FZ_EQ("memo key on a non-memo opcode", ev->memo, -1);
        if (!callable_op(op)) FZ_CHECK(ev->callable == NULL, "callable on an opcode that calls nothing", op, 0);
        if (op == 'c' || op == 0x93)
            FZ_EQ("GLOBAL/STACK_GLOBAL without a global", jlp_get_type(ev->value), JLP_GLOBAL);
        if (L->started) {
            if (op == '(') {
                FZ_EQ("MARK opens a mark", ev->marks, L->marks + 1);
                FZ_EQ("MARK leaves the stack", ev->stack_depth, L->stack);
            } else if (push_one(op)) {
                FZ_EQ("a push opcode adds one value", ev->stack_depth, L->stack + 1);
                FZ_EQ("a push opcode leaves the marks", ev->marks, L->marks);
            } else if (mark_op(op)) {
                FZ_EQ("a mark opcode closes one mark", ev->marks + 1, L->marks);
            } else if (op == '.') {
                FZ_EQ("STOP takes one value", ev->stack_depth + 1, L->stack);
            }
        } else if (op == '(') {
            FZ_EQ("MARK opens a mark", ev->marks, 1);
        }
        L->started = 1;
        L->stack = ev->stack_depth;
        L->marks = ev->marks;
        L->next = ev->offset + ev->length;
        if (ev->depth == 0) {
            t->opcodes0++;
            t->last_end = L->next;
        }
        touch(t, ev->value, 0);
        touch(t, ev->callable, 0);
        if (op == '.' && ev->depth > 0) t->depth = ev->depth - 1; /* the nested pickle ended */
    }
    t->last_kind = ev->kind;
    t->last_op = ev->opcode;
    t->last_depth = ev->depth;
    if (t->stop_at && t->events == t->stop_at) return 1;
    return 0;
}

typedef struct result {
    int ok;
    jlp_code code;
    uint64_t offset, consumed, tell;
    fz_sink json;
} result;

static result load_one(jlp_source *src, jlp_read_opts *o, tracer *t, const jlp_alc *alc) {
    result r;
    memset(&r, 0, sizeof r);
    fz_sink_init(&r.json);
    uint64_t start = jlp_source_tell(src);
    if (t) {
        memset(t->lv, 0, sizeof t->lv); /* each pickle starts afresh */
        t->lv[0].next = start;
        t->depth = 0;
    }
    jlp_error err;
    jlp_doc *d = jlp_load(src, o, &err);
    r.tell = jlp_source_tell(src);
    if (!d) {
        r.code = err.code;
        r.offset = err.offset;
        FZ_CHECK(err.code > JLP_OK && err.code < JLP_E__COUNT, "error code out of range", err.code, 0);
        return r;
    }
    r.ok = 1;
    r.consumed = jlp_doc_consumed(d);
    jlp_json_opts jo = JLP_JSON_OPTS_INIT;
    jo.alc = alc;
    jlp_code ec = jlp_export_json(jlp_doc_root(d), &jo, fz_sink_write, &r.json, &err);
    if (ec != JLP_OK && !fz_sink_unsupported(&r.json, ec)) fz_die_err("jlp_export_json", &err);
    jlp_doc_free(d);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint64_t h = fz_fnv1a(data, size);
    fz_heap heap = {0, 0, 0, 0, 0};
    jlp_alc alc = fz_alc(&heap);
    jlp_read_opts traced, plain;
    jlp_read_opts_init(&traced);
    jlp_limits lim;
    fz_budget(&traced, &lim);
    traced.alc = &alc;
    traced.py2str = (jlp_py2str)((h >> 40) & 3);
    plain = traced;
    tracer t;
    memset(&t, 0, sizeof t);
    traced.trace = on_event;
    traced.trace_ctx = &t;

    jlp_error err;
    jlp_source *a = jlp_source_mem(data, size, &alc, &err);
    jlp_source *b = jlp_source_mem(data, size, &alc, &err);
    FZ_CHECK(a && b, "jlp_source_mem", 0, 0);
    /* uncompressed input: payload offsets are input offsets (else decoded ones) */
    int is_pickle = 0;
    if (!jlp_registry_detect(NULL, data, size, &is_pickle) && is_pickle) t.input_size = size;
    uint64_t first_events = 0;
    for (int n = 0; n < 4 && jlp_source_at_eof(a, NULL) == 0; n++) {
        uint64_t start = jlp_source_tell(a);
        uint64_t ev0 = t.events;
        t.opcodes0 = 0;
        t.last_kind = -1;
        result ra = load_one(a, &traced, &t, &alc);
        result rb = load_one(b, &plain, NULL, &alc);
        if (n == 0) first_events = t.events;
        FZ_EQ("tracing changes whether the load succeeds", ra.ok, rb.ok);
        if (ra.ok) {
            FZ_CHECK(fz_sink_same(&ra.json, &rb.json), "tracing changes the document", ra.json.len, rb.json.len);
            FZ_EQ("tracing changes the bytes consumed", ra.consumed, rb.consumed);
            FZ_CHECK(t.events > ev0, "a successful load without events", 0, 0);
            FZ_CHECK(t.last_kind == JLP_EV_OPCODE && t.last_op == '.' && t.last_depth == 0,
                     "the last event of a successful load is not its STOP", t.last_kind, t.last_op);
            FZ_EQ("STOP does not end where the pickle does", t.last_end, start + ra.consumed);
            FZ_EQ("a successful load ends at depth 0", t.depth, 0);
        } else {
            FZ_EQ("tracing changes the error", ra.code, rb.code);
            FZ_EQ("tracing changes the error offset", ra.offset, rb.offset);
            if (t.last_kind == JLP_EV_OPCODE && t.depth == 0)
                FZ_CHECK(ra.offset >= t.lv[0].next || ra.code == JLP_E_TRAILING || ra.code == JLP_E_CHECKSUM ||
                             ra.code == JLP_E_CORRUPT || ra.code == JLP_E_LIMIT,
                         "the error lies before the end of the last opcode traced", ra.offset, t.lv[0].next);
            break;
        }
    }
    jlp_source_free(a);
    jlp_source_free(b);

    /* stopping the load from the callback */
    if (first_events > 1 && (h & 3) == 0) {
        tracer s;
        memset(&s, 0, sizeof s);
        s.stop_at = 1 + (h >> 8) % first_events;
        traced.trace_ctx = &s;
        jlp_doc *d = jlp_load_mem(data, size, &traced, NULL, &err);
        if (d) fz_die("a load stopped by its trace callback succeeded", "stop", s.stop_at, first_events);
        FZ_EQ("a load stopped by its trace callback must fail with INVALID_ARG", err.code, JLP_E_INVALID_ARG);
        FZ_EQ("the callback was called after it asked to stop", s.events, s.stop_at);
    }
    fz_heap_check_empty(&heap, "traced loads");
    return 0;
}
