/*
 * opcodes.h - the 68 pickle opcodes of protocols 0 to 5, as one X-macro table:
 *   X(NAME, byte, protocol, argument, pops, pushes, mark)
 * NAME is the pickletools name; `argument` says what follows the opcode byte in the
 * stream (jlp_arg_kind, jlpickle.h); `pops` and `pushes` are its stack effect as
 * pickletools states it (values taken from below a mark's slice, values pushed) and
 * `mark` says whether it also pops the topmost mark with the values above it
 * (JLP__MARK_POP) or pushes a mark (JLP__MARK_PUSH). The unpickler, the writer, the codec
 * registry (whose pickle bidder checks the first opcode) and jlp_opcode_info() all read
 * this one table, so an opcode's facts live in exactly one place
 * (tests/unit/test_opcodes.c compares it with pickletools).
 */
#ifndef JLP_OPCODES_H
#define JLP_OPCODES_H

#include "../jlpickle.h"

#define JLP__MARK_POP (-1)
#define JLP__MARK_PUSH 1

#define JLP_OPCODE_TABLE(X)                                               \
    X(MARK,             0x28, 0, JLP_ARG_NONE,  0, 0, JLP__MARK_PUSH)     \
    X(STOP,             0x2e, 0, JLP_ARG_NONE,  1, 0, 0)                  \
    X(POP,              0x30, 0, JLP_ARG_NONE,  1, 0, 0)                  \
    X(POP_MARK,         0x31, 1, JLP_ARG_NONE,  0, 0, JLP__MARK_POP)      \
    X(DUP,              0x32, 0, JLP_ARG_NONE,  1, 2, 0)                  \
    X(FLOAT,            0x46, 0, JLP_ARG_LINE,  0, 1, 0)                  \
    X(INT,              0x49, 0, JLP_ARG_LINE,  0, 1, 0)                  \
    X(BININT,           0x4a, 1, JLP_ARG_I4,    0, 1, 0)                  \
    X(BININT1,          0x4b, 1, JLP_ARG_U1,    0, 1, 0)                  \
    X(LONG,             0x4c, 0, JLP_ARG_LINE,  0, 1, 0)                  \
    X(BININT2,          0x4d, 1, JLP_ARG_U2,    0, 1, 0)                  \
    X(NONE,             0x4e, 0, JLP_ARG_NONE,  0, 1, 0)                  \
    X(PERSID,           0x50, 0, JLP_ARG_LINE,  0, 1, 0)                  \
    X(BINPERSID,        0x51, 1, JLP_ARG_NONE,  1, 1, 0)                  \
    X(REDUCE,           0x52, 0, JLP_ARG_NONE,  2, 1, 0)                  \
    X(STRING,           0x53, 0, JLP_ARG_LINE,  0, 1, 0)                  \
    X(BINSTRING,        0x54, 1, JLP_ARG_SLEN4, 0, 1, 0)                  \
    X(SHORT_BINSTRING,  0x55, 1, JLP_ARG_LEN1,  0, 1, 0)                  \
    X(UNICODE,          0x56, 0, JLP_ARG_LINE,  0, 1, 0)                  \
    X(BINUNICODE,       0x58, 1, JLP_ARG_LEN4,  0, 1, 0)                  \
    X(APPEND,           0x61, 0, JLP_ARG_NONE,  2, 1, 0)                  \
    X(BUILD,            0x62, 0, JLP_ARG_NONE,  2, 1, 0)                  \
    X(GLOBAL,           0x63, 0, JLP_ARG_LINE2, 0, 1, 0)                  \
    X(DICT,             0x64, 0, JLP_ARG_NONE,  0, 1, JLP__MARK_POP)      \
    X(EMPTY_DICT,       0x7d, 1, JLP_ARG_NONE,  0, 1, 0)                  \
    X(APPENDS,          0x65, 1, JLP_ARG_NONE,  1, 1, JLP__MARK_POP)      \
    X(GET,              0x67, 0, JLP_ARG_LINE,  0, 1, 0)                  \
    X(BINGET,           0x68, 1, JLP_ARG_U1,    0, 1, 0)                  \
    X(INST,             0x69, 0, JLP_ARG_LINE2, 0, 1, JLP__MARK_POP)      \
    X(LONG_BINGET,      0x6a, 1, JLP_ARG_U4,    0, 1, 0)                  \
    X(LIST,             0x6c, 0, JLP_ARG_NONE,  0, 1, JLP__MARK_POP)      \
    X(EMPTY_LIST,       0x5d, 1, JLP_ARG_NONE,  0, 1, 0)                  \
    X(OBJ,              0x6f, 1, JLP_ARG_NONE,  0, 1, JLP__MARK_POP)      \
    X(PUT,              0x70, 0, JLP_ARG_LINE,  0, 0, 0)                  \
    X(BINPUT,           0x71, 1, JLP_ARG_U1,    0, 0, 0)                  \
    X(LONG_BINPUT,      0x72, 1, JLP_ARG_U4,    0, 0, 0)                  \
    X(SETITEM,          0x73, 0, JLP_ARG_NONE,  3, 1, 0)                  \
    X(TUPLE,            0x74, 0, JLP_ARG_NONE,  0, 1, JLP__MARK_POP)      \
    X(EMPTY_TUPLE,      0x29, 1, JLP_ARG_NONE,  0, 1, 0)                  \
    X(SETITEMS,         0x75, 1, JLP_ARG_NONE,  1, 1, JLP__MARK_POP)      \
    X(BINFLOAT,         0x47, 1, JLP_ARG_F8,    0, 1, 0)                  \
    X(PROTO,            0x80, 2, JLP_ARG_U1,    0, 0, 0)                  \
    X(NEWOBJ,           0x81, 2, JLP_ARG_NONE,  2, 1, 0)                  \
    X(EXT1,             0x82, 2, JLP_ARG_U1,    0, 1, 0)                  \
    X(EXT2,             0x83, 2, JLP_ARG_U2,    0, 1, 0)                  \
    X(EXT4,             0x84, 2, JLP_ARG_I4,    0, 1, 0)                  \
    X(TUPLE1,           0x85, 2, JLP_ARG_NONE,  1, 1, 0)                  \
    X(TUPLE2,           0x86, 2, JLP_ARG_NONE,  2, 1, 0)                  \
    X(TUPLE3,           0x87, 2, JLP_ARG_NONE,  3, 1, 0)                  \
    X(NEWTRUE,          0x88, 2, JLP_ARG_NONE,  0, 1, 0)                  \
    X(NEWFALSE,         0x89, 2, JLP_ARG_NONE,  0, 1, 0)                  \
    X(LONG1,            0x8a, 2, JLP_ARG_LEN1,  0, 1, 0)                  \
    X(LONG4,            0x8b, 2, JLP_ARG_SLEN4, 0, 1, 0)                  \
    X(BINBYTES,         0x42, 3, JLP_ARG_LEN4,  0, 1, 0)                  \
    X(SHORT_BINBYTES,   0x43, 3, JLP_ARG_LEN1,  0, 1, 0)                  \
    X(SHORT_BINUNICODE, 0x8c, 4, JLP_ARG_LEN1,  0, 1, 0)                  \
    X(BINUNICODE8,      0x8d, 4, JLP_ARG_LEN8,  0, 1, 0)                  \
    X(BINBYTES8,        0x8e, 4, JLP_ARG_LEN8,  0, 1, 0)                  \
    X(EMPTY_SET,        0x8f, 4, JLP_ARG_NONE,  0, 1, 0)                  \
    X(ADDITEMS,         0x90, 4, JLP_ARG_NONE,  1, 1, JLP__MARK_POP)      \
    X(FROZENSET,        0x91, 4, JLP_ARG_NONE,  0, 1, JLP__MARK_POP)      \
    X(NEWOBJ_EX,        0x92, 4, JLP_ARG_NONE,  3, 1, 0)                  \
    X(STACK_GLOBAL,     0x93, 4, JLP_ARG_NONE,  2, 1, 0)                  \
    X(MEMOIZE,          0x94, 4, JLP_ARG_NONE,  1, 1, 0)                  \
    X(FRAME,            0x95, 4, JLP_ARG_U8,    0, 0, 0)                  \
    X(BYTEARRAY8,       0x96, 5, JLP_ARG_LEN8,  0, 1, 0)                  \
    X(NEXT_BUFFER,      0x97, 5, JLP_ARG_NONE,  0, 1, 0)                  \
    X(READONLY_BUFFER,  0x98, 5, JLP_ARG_NONE,  1, 1, 0)

enum {
#define JLP_X_OP(name, byte, proto, arg, pops, pushes, mark) JLP_OP_##name = byte,
    JLP_OPCODE_TABLE(JLP_X_OP)
#undef JLP_X_OP
};

/** @return the pickletools name of opcode byte `op`, or NULL if it is not an opcode. */
const char *jlp__opcode_name(int op);

#endif /* JLP_OPCODES_H */
