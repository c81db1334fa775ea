/* opcodes.c - facts about opcode bytes, from the one table (opcodes.h). */
#include "opcodes.h"

#include <stddef.h>

const char *jlp__opcode_name(int op) {
    switch (op) {
#define JLP_X_OPNAME(name, byte, proto, arg, pops, pushes, mark) case byte: return #name;
        JLP_OPCODE_TABLE(JLP_X_OPNAME)
#undef JLP_X_OPNAME
    default: return NULL;
    }
}

/* The table as jlp_opcode_desc entries, indexed by a byte's position in `slot`. */
static const jlp_opcode_desc descs[] = {
#define JLP_X_DESC(name, byte, proto, arg, pops, pushes, mark) \
    {#name, byte, proto, arg, pops, pushes, (mark) == JLP__MARK_POP, (mark) == JLP__MARK_PUSH},
    JLP_OPCODE_TABLE(JLP_X_DESC)
#undef JLP_X_DESC
};

const jlp_opcode_desc *jlp_opcode_info(int code) {
    if (code < 0 || code > 255) return NULL;
    for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++)
        if (descs[i].code == code) return &descs[i];
    return NULL;
}
