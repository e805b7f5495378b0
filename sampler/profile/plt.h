/*
 * Names for PLT stubs. A call into a shared library goes through a stub in
 * the caller's .plt (or .plt.sec, .plt.got) section that jumps through a
 * GOT slot; the stub has no symbol of its own, so a sample landing in it
 * would be left nameless, and one nameless address makes the whole
 * mapping "not symbolized" in the profile, so that pprof discards every
 * name cbench found there and symbolizes the binary again by itself (with
 * less: no inline chains, no start lines). The stub is named as perf and
 * objdump name it, "<target>@plt": its jump's GOT slot is found by
 * decoding the `jmp *disp32(%rip)` in the stub, and the dynamic relocation
 * that fills that slot names the target.
 */
#ifndef CB_PROFILE_PLT_H
#define CB_PROFILE_PLT_H

#include <elfutils/libdwfl.h>

/* "<symbol>@plt" in a new malloc'd string when `addr` (a process address
 * in `mod`) is in a PLT stub whose target is known, else NULL. */
char *cb_plt_name(Dwfl_Module *mod, Dwarf_Addr addr);

#endif
