/* opts.c - the growable public structs: copying them in over defaults, filling them out,
 * and the compile-time checks that keep their layout growable. */
#include "opts.h"

#include "../jlpickle_codec.h"

/* A struct can grow only if a field appended later lands past its current sizeof:
 * with tail padding, a new small field would fit inside the old size, and an older
 * program's struct would hand its padding bytes in as that field. So every growable
 * struct ends exactly at the end of its last field (append fields in an order, or
 * with an explicit reserved member, that keeps this true). */
#define JLP__ENDS_AT(T, last)                                                              \
    _Static_assert(sizeof(T) == offsetof(T, last) + sizeof(((T *)0)->last),                \
                   #T " has tail padding: a field appended to it would not grow it");
#define JLP__STARTS_WITH_SIZE(T)                                                           \
    _Static_assert(offsetof(T, size) == 0, #T " must start with its size_t size");

JLP__STARTS_WITH_SIZE(jlp_limits)
JLP__ENDS_AT(jlp_limits, max_ratio)
JLP__STARTS_WITH_SIZE(jlp_read_opts)
JLP__ENDS_AT(jlp_read_opts, archive)
JLP__STARTS_WITH_SIZE(jlp_write_opts)
JLP__ENDS_AT(jlp_write_opts, reserved)
JLP__STARTS_WITH_SIZE(jlp_json_opts)
JLP__ENDS_AT(jlp_json_opts, alc)
JLP__STARTS_WITH_SIZE(jlp_array_info)
JLP__ENDS_AT(jlp_array_info, subclass)
JLP__STARTS_WITH_SIZE(jlp_event)
JLP__ENDS_AT(jlp_event, arg_len)
JLP__STARTS_WITH_SIZE(jlp_archive_opts)
JLP__ENDS_AT(jlp_archive_opts, registry)
/* The codec struct grows by abi_version instead; appended fields keep the same rule. */
JLP__ENDS_AT(jlp_codec, user)

static bool size_sane(size_t n) { return n >= sizeof(size_t) && n <= JLP__STRUCT_MAX_SIZE; }

jlp_code jlp__struct_in(void *dst, size_t dst_size, const void *user, const char *type,
                        jlp_error *err) {
    memcpy(dst, &dst_size, sizeof dst_size);
    if (!user) return JLP_OK;
    size_t n;
    memcpy(&n, user, sizeof n);
    if (!size_sane(n))
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1,
                         "%s.size is %zu: initialise it with its _INIT macro or _init function", type, n);
    if (n > dst_size) {
        const uint8_t *extra = (const uint8_t *)user + dst_size;
        for (size_t i = 0; i < n - dst_size; i++)
            if (extra[i])
                return jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1,
                                 "%s sets a field at byte %zu that libjlpickle %s does not know", type,
                                 dst_size + i, JLP_VERSION_STRING);
        n = dst_size;
    }
    memcpy((uint8_t *)dst + sizeof(size_t), (const uint8_t *)user + sizeof(size_t), n - sizeof(size_t));
    return JLP_OK;
}

bool jlp__struct_out(void *user, const void *full, size_t full_size) {
    if (!user) return false;
    size_t n;
    memcpy(&n, user, sizeof n);
    if (!size_sane(n)) return false;
    if (n > full_size) n = full_size;
    memcpy((uint8_t *)user + sizeof(size_t), (const uint8_t *)full + sizeof(size_t), n - sizeof(size_t));
    return true;
}

static const jlp_limits default_limits = JLP_LIMITS_INIT;

jlp_code jlp__read_cfg_init(jlp__read_cfg *cfg, const jlp_read_opts *user, jlp_error *err) {
    const jlp_read_opts d = JLP_READ_OPTS_INIT;
    cfg->opts = d;
    cfg->limits = default_limits;
    jlp_code c = jlp__struct_in(&cfg->opts, sizeof cfg->opts, user, "jlp_read_opts", err);
    if (!c && cfg->opts.limits)
        c = jlp__struct_in(&cfg->limits, sizeof cfg->limits, cfg->opts.limits, "jlp_limits", err);
    cfg->opts.limits = &cfg->limits;
    if (c) return c;
    /* a later option will take the reserved field: a value in it is asked of this one */
    if (cfg->opts.reserved)
        return jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1, "jlp_read_opts.reserved is set (an option of a newer library?)");
    if (cfg->opts.threads < 0)
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "jlp_read_opts.threads is negative");
    if (cfg->opts.mmap < JLP_MMAP_NONE || cfg->opts.mmap > JLP_MMAP_COPY_ON_WRITE)
        return jlp__fail(err, JLP_E_INVALID_ARG, 0, -1, "jlp_read_opts.mmap is %d (JLP_MMAP_*: 0 to 2)", cfg->opts.mmap);
    return JLP_OK;
}

const jlp_read_opts *jlp__read_opts_default(void) {
    static const jlp_read_opts d = {sizeof(jlp_read_opts), &default_limits, NULL, JLP_PY2STR_AUTO,
                                    NULL, 0, NULL, 0, JLP_ALIGN_ALLOW, 0, NULL, NULL, 0, 0, 0, NULL};
    return &d;
}

jlp_code jlp__write_opts_take(jlp_write_opts *out, const jlp_write_opts *user, jlp_error *err) {
    const jlp_write_opts d = JLP_WRITE_OPTS_INIT;
    *out = d;
    jlp_code c = jlp__struct_in(out, sizeof *out, user, "jlp_write_opts", err);
    /* a later option will take the reserved field: a value in it is asked of this one */
    if (!c && out->reserved)
        return jlp__fail(err, JLP_E_UNSUPPORTED, 0, -1, "jlp_write_opts.reserved is set (an option of a newer library?)");
    return c;
}

jlp_code jlp__json_opts_take(jlp_json_opts *out, const jlp_json_opts *user, jlp_error *err) {
    const jlp_json_opts d = JLP_JSON_OPTS_INIT;
    *out = d;
    return jlp__struct_in(out, sizeof *out, user, "jlp_json_opts", err);
}
