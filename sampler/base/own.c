/*
 * The depth of cbench's own work on each thread (model in own.h).
 */
#include "base/own.h"

__thread unsigned cb_own_depth __attribute__((tls_model("initial-exec")));
__thread uint32_t *cb_own_mirror __attribute__((tls_model("initial-exec")));

void cb_own_mirror_to(uint32_t *word)
{
    CB_CHECK(!cb_own_mirror && (*word & 0xffff) == 0 && cb_own_depth <= 0xffff);
    /* A signal handler's own work between these two stores is balanced:
     * it leaves the depth as it found it. */
    *word += cb_own_depth;
    cb_own_mirror = word;
}
