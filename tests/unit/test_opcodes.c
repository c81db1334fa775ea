/*
 * test_opcodes.c - jlp_opcode_info() against Python's pickletools (expected_gen.h, from
 * tests/unit/gen_expected.py): every opcode's name, protocol, argument kind and stack
 * effect, NULL for every other byte, and the internal name lookup agreeing with it.
 */
#include "harness.h"

#include "expected_gen.h"

const char *jlp__opcode_name(int op);

#define N_EXPECTED (sizeof expected_opcodes / sizeof expected_opcodes[0])

TEST(every_pickletools_opcode) {
    CHECK_INT(N_EXPECTED, 68);
    for (size_t i = 0; i < N_EXPECTED; i++) {
        const jlp_opcode_desc *d = jlp_opcode_info(expected_opcodes[i].code);
        if (!d) {
            TH_FAIL("no description of %s (0x%02x)", expected_opcodes[i].name, expected_opcodes[i].code);
            continue;
        }
        CHECK_STR(d->name, expected_opcodes[i].name);
        CHECK_INT(d->code, expected_opcodes[i].code);
        CHECK_INT(d->protocol, expected_opcodes[i].protocol);
        CHECK_INT(d->arg, expected_opcodes[i].arg);
        CHECK_INT(d->pops, expected_opcodes[i].pops);
        CHECK_INT(d->pushes, expected_opcodes[i].pushes);
        CHECK_INT(d->pops_mark, expected_opcodes[i].pops_mark);
        CHECK_INT(d->pushes_mark, expected_opcodes[i].pushes_mark);
        CHECK_STR(jlp__opcode_name(d->code), d->name);
    }
}

TEST(other_bytes_are_no_opcode) {
    int found = 0;
    for (int b = 0; b < 256; b++) {
        const jlp_opcode_desc *d = jlp_opcode_info(b);
        int listed = 0;
        for (size_t i = 0; i < N_EXPECTED; i++) listed |= expected_opcodes[i].code == b;
        if (listed) {
            found++;
            continue;
        }
        if (d) TH_FAIL("byte 0x%02x is described as %s", b, d->name);
        if (jlp__opcode_name(b)) TH_FAIL("byte 0x%02x is named %s", b, jlp__opcode_name(b));
    }
    CHECK_INT(found, 68);
    CHECK(jlp_opcode_info(-1) == NULL);
    CHECK(jlp_opcode_info(256) == NULL);
    CHECK(jlp_opcode_info(0x128) == NULL); /* MARK's byte plus 256 */
    CHECK(jlp__opcode_name(-1) == NULL);
}

TEST(examples) {
    const jlp_opcode_desc *d = jlp_opcode_info('(');
    CHECK_STR(d->name, "MARK");
    CHECK_INT(d->pushes_mark, 1);
    CHECK_INT(d->pushes, 0);
    d = jlp_opcode_info('e');
    CHECK_STR(d->name, "APPENDS");
    CHECK_INT(d->protocol, 1);
    CHECK_INT(d->pops, 1);
    CHECK_INT(d->pushes, 1);
    CHECK_INT(d->pops_mark, 1);
    d = jlp_opcode_info(0x95);
    CHECK_STR(d->name, "FRAME");
    CHECK_INT(d->arg, JLP_ARG_U8);
    CHECK_INT(d->protocol, 4);
    d = jlp_opcode_info(0x92);
    CHECK_STR(d->name, "NEWOBJ_EX");
    CHECK_INT(d->pops, 3);
    CHECK_INT(d->pushes, 1);
    CHECK(jlp_opcode_info(0x96) == jlp_opcode_info(0x96)); /* static data */
}

