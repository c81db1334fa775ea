/*
 * opcodes.h - the 68 pickle opcodes of protocols 0 to 5, as one X-macro table:
 *   X(NAME, byte, protocol, argument)
 * NAME is the pickletools name; `argument` says what follows the opcode byte in the
 * stream (see JLP_ARG_*). The unpickler, the writer and the codec registry (whose pickle
 * bidder checks the first opcode) all expand this one table, so an opcode's facts live
 * in exactly one place.
 */
#ifndef JLP_OPCODES_H
#define JLP_OPCODES_H

typedef enum jlp_arg_kind {
    JLP_ARG_NONE,    /* no argument */
    JLP_ARG_U1,      /* 1-byte unsigned */
    JLP_ARG_U2,      /* 2-byte unsigned little-endian */
    JLP_ARG_I4,      /* 4-byte signed little-endian */
    JLP_ARG_U4,      /* 4-byte unsigned little-endian */
    JLP_ARG_U8,      /* 8-byte unsigned little-endian */
    JLP_ARG_F8,      /* 8-byte big-endian IEEE double */
    JLP_ARG_LINE,    /* text up to '\n' */
    JLP_ARG_LINE2,   /* two '\n'-terminated lines (module, name) */
    JLP_ARG_LEN1,    /* 1-byte length, then that many bytes */
    JLP_ARG_LEN4,    /* 4-byte unsigned length, then bytes */
    JLP_ARG_SLEN4,   /* 4-byte signed length (negative is an error), then bytes */
    JLP_ARG_LEN8     /* 8-byte unsigned length, then bytes */
} jlp_arg_kind;

#define JLP_OPCODE_TABLE(X)                          \
    X(MARK,             0x28, 0, JLP_ARG_NONE)       \
    X(STOP,             0x2e, 0, JLP_ARG_NONE)       \
    X(POP,              0x30, 0, JLP_ARG_NONE)       \
    X(POP_MARK,         0x31, 1, JLP_ARG_NONE)       \
    X(DUP,              0x32, 0, JLP_ARG_NONE)       \
    X(FLOAT,            0x46, 0, JLP_ARG_LINE)       \
    X(INT,              0x49, 0, JLP_ARG_LINE)       \
    X(BININT,           0x4a, 1, JLP_ARG_I4)         \
    X(BININT1,          0x4b, 1, JLP_ARG_U1)         \
    X(LONG,             0x4c, 0, JLP_ARG_LINE)       \
    X(BININT2,          0x4d, 1, JLP_ARG_U2)         \
    X(NONE,             0x4e, 0, JLP_ARG_NONE)       \
    X(PERSID,           0x50, 0, JLP_ARG_LINE)       \
    X(BINPERSID,        0x51, 1, JLP_ARG_NONE)       \
    X(REDUCE,           0x52, 0, JLP_ARG_NONE)       \
    X(STRING,           0x53, 0, JLP_ARG_LINE)       \
    X(BINSTRING,        0x54, 1, JLP_ARG_SLEN4)      \
    X(SHORT_BINSTRING,  0x55, 1, JLP_ARG_LEN1)       \
    X(UNICODE,          0x56, 0, JLP_ARG_LINE)       \
    X(BINUNICODE,       0x58, 1, JLP_ARG_LEN4)       \
    X(APPEND,           0x61, 0, JLP_ARG_NONE)       \
    X(BUILD,            0x62, 0, JLP_ARG_NONE)       \
    X(GLOBAL,           0x63, 0, JLP_ARG_LINE2)      \
    X(DICT,             0x64, 0, JLP_ARG_NONE)       \
    X(EMPTY_DICT,       0x7d, 1, JLP_ARG_NONE)       \
    X(APPENDS,          0x65, 1, JLP_ARG_NONE)       \
    X(GET,              0x67, 0, JLP_ARG_LINE)       \
    X(BINGET,           0x68, 1, JLP_ARG_U1)         \
    X(INST,             0x69, 0, JLP_ARG_LINE2)      \
    X(LONG_BINGET,      0x6a, 1, JLP_ARG_U4)         \
    X(LIST,             0x6c, 0, JLP_ARG_NONE)       \
    X(EMPTY_LIST,       0x5d, 1, JLP_ARG_NONE)       \
    X(OBJ,              0x6f, 1, JLP_ARG_NONE)       \
    X(PUT,              0x70, 0, JLP_ARG_LINE)       \
    X(BINPUT,           0x71, 1, JLP_ARG_U1)         \
    X(LONG_BINPUT,      0x72, 1, JLP_ARG_U4)         \
    X(SETITEM,          0x73, 0, JLP_ARG_NONE)       \
    X(TUPLE,            0x74, 0, JLP_ARG_NONE)       \
    X(EMPTY_TUPLE,      0x29, 1, JLP_ARG_NONE)       \
    X(SETITEMS,         0x75, 1, JLP_ARG_NONE)       \
    X(BINFLOAT,         0x47, 1, JLP_ARG_F8)         \
    X(PROTO,            0x80, 2, JLP_ARG_U1)         \
    X(NEWOBJ,           0x81, 2, JLP_ARG_NONE)       \
    X(EXT1,             0x82, 2, JLP_ARG_U1)         \
    X(EXT2,             0x83, 2, JLP_ARG_U2)         \
    X(EXT4,             0x84, 2, JLP_ARG_I4)         \
    X(TUPLE1,           0x85, 2, JLP_ARG_NONE)       \
    X(TUPLE2,           0x86, 2, JLP_ARG_NONE)       \
    X(TUPLE3,           0x87, 2, JLP_ARG_NONE)       \
    X(NEWTRUE,          0x88, 2, JLP_ARG_NONE)       \
    X(NEWFALSE,         0x89, 2, JLP_ARG_NONE)       \
    X(LONG1,            0x8a, 2, JLP_ARG_LEN1)       \
    X(LONG4,            0x8b, 2, JLP_ARG_SLEN4)      \
    X(BINBYTES,         0x42, 3, JLP_ARG_LEN4)       \
    X(SHORT_BINBYTES,   0x43, 3, JLP_ARG_LEN1)       \
    X(SHORT_BINUNICODE, 0x8c, 4, JLP_ARG_LEN1)       \
    X(BINUNICODE8,      0x8d, 4, JLP_ARG_LEN8)       \
    X(BINBYTES8,        0x8e, 4, JLP_ARG_LEN8)       \
    X(EMPTY_SET,        0x8f, 4, JLP_ARG_NONE)       \
    X(ADDITEMS,         0x90, 4, JLP_ARG_NONE)       \
    X(FROZENSET,        0x91, 4, JLP_ARG_NONE)       \
    X(NEWOBJ_EX,        0x92, 4, JLP_ARG_NONE)       \
    X(STACK_GLOBAL,     0x93, 4, JLP_ARG_NONE)       \
    X(MEMOIZE,          0x94, 4, JLP_ARG_NONE)       \
    X(FRAME,            0x95, 4, JLP_ARG_U8)         \
    X(BYTEARRAY8,       0x96, 5, JLP_ARG_LEN8)       \
    X(NEXT_BUFFER,      0x97, 5, JLP_ARG_NONE)       \
    X(READONLY_BUFFER,  0x98, 5, JLP_ARG_NONE)

enum {
#define JLP_X_OP(name, byte, proto, arg) JLP_OP_##name = byte,
    JLP_OPCODE_TABLE(JLP_X_OP)
#undef JLP_X_OP
};

/** @return the pickletools name of opcode byte `op`, or NULL if it is not an opcode. */
const char *jlp__opcode_name(int op);

#endif /* JLP_OPCODES_H */
