/* version.c - the library's version, as built (jlpickle.h's JLP_VERSION_*). */
#include "common.h"

unsigned jlp_version_number(void) { return JLP_VERSION_NUMBER; }
const char *jlp_version_string(void) { return JLP_VERSION_STRING; }
