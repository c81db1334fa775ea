/* opcodes.c - facts about opcode bytes, from the one table (opcodes.h). */
#include "opcodes.h"

#include <stddef.h>

const char *jlp__opcode_name(int op) {
    switch (op) {
#define JLP_X_OPNAME(name, byte, proto, arg) case byte: return #name;
        JLP_OPCODE_TABLE(JLP_X_OPNAME)
#undef JLP_X_OPNAME
    default: return NULL;
    }
}
