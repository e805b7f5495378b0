/*
 * Call-frame rules for x86-64, read from the loaded objects' .eh_frame.
 *
 * To go from one frame to its caller, an unwinder needs, at the frame's
 * PC, where the canonical frame address (CFA, the caller's stack pointer)
 * is, where the return address is and where the caller's registers were
 * saved. The compiler writes those rules as DWARF call-frame information
 * in .eh_frame, which the loader maps with the code; .eh_frame_hdr holds
 * a table of the functions' start addresses sorted for binary search.
 * cb_cfi_find() finds the object holding a PC with glibc's lock-free
 * _dl_find_object, the function's FDE through that table, and runs the
 * CIE's and FDE's instructions up to the PC.
 *
 * Only the rules that code built by a compiler uses for the registers a
 * stack walk needs are kept: the CFA as rsp or rbp plus an offset, the
 * return address at CFA-8 (or undefined: the outermost frame, _start and
 * clone's child), rbp unchanged or saved at CFA+n. Anything else (a CFA
 * computed by an expression, as PLT stubs and stack-realigning functions
 * have, a signal frame, a 64-bit .eh_frame, an object without the table)
 * is reported as not expressible, and the caller walks with libunwind.
 *
 * Reads only memory the loader mapped, allocates nothing and takes no
 * lock: async-signal-safe.
 */
#ifndef CB_CFI_H
#define CB_CFI_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cb_cfi_rule {
    int32_t cfa_offset;
    bool cfa_rbp;     /* the CFA is rbp + offset, else rsp + offset */
    bool rbp_saved;   /* the caller's rbp is at CFA + rbp_offset, else unchanged */
    bool outermost;   /* the return address is undefined: no caller */
    int32_t rbp_offset;
} cb_cfi_rule;

/* The rule in force at `pc` (for a return address, pass it minus one, so
 * that the call instruction's function is looked up). 0 on success, -1
 * when there is no FDE or the rule is not expressible as above. */
int cb_cfi_find(uintptr_t pc, cb_cfi_rule *rule);

#endif
