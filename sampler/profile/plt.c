/*
 * PLT stub names (the model is in plt.h). x86-64 only: elsewhere stubs
 * stay nameless.
 */
#include "profile/plt.h"

#include <gelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"

#if defined(__x86_64__)

/* The section of `elf` holding file address `a`, if it is a PLT one. */
static Elf_Scn *plt_section(Elf *elf, GElf_Addr a, GElf_Shdr *sh)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return NULL;
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        if (gelf_getshdr(scn, sh) == NULL || !(sh->sh_flags & SHF_EXECINSTR))
            continue;
        if (a < sh->sh_addr || a >= sh->sh_addr + sh->sh_size)
            continue;
        const char *name = elf_strptr(elf, shstrndx, sh->sh_name);
        return name && strncmp(name, ".plt", 4) == 0 ? scn : NULL;
    }
    return NULL;
}

/* The GOT slot the stub holding `a` jumps through, or 0. Stubs are
 * sh_entsize bytes (16 when unset); each holds one `ff 25 disp32`, after
 * an endbr64 or a bnd prefix in some layouts. The first stub of .plt
 * (PLT0, the lazy resolver's) jumps through a slot without a relocation,
 * so it stays nameless. */
static GElf_Addr stub_slot(Elf_Scn *scn, const GElf_Shdr *sh, GElf_Addr a)
{
    GElf_Xword size = sh->sh_entsize >= 8 ? sh->sh_entsize : 16;
    GElf_Addr stub = sh->sh_addr + (a - sh->sh_addr) / size * size;
    Elf_Data *d = elf_getdata(scn, NULL);
    if (d == NULL || d->d_buf == NULL || sh->sh_type != SHT_PROGBITS)
        return 0;
    size_t off = (size_t)(stub - sh->sh_addr);
    if (off + size > d->d_size)
        return 0;
    const unsigned char *b = (const unsigned char *)d->d_buf + off;
    for (size_t i = 0; i + 6 <= size; i++) {
        if (b[i] != 0xff || b[i + 1] != 0x25)
            continue;
        int32_t disp;
        memcpy(&disp, b + i + 2, sizeof disp);
        return stub + i + 6 + (GElf_Addr)(int64_t)disp;
    }
    return 0;
}

/* The name of the symbol whose dynamic relocation fills `slot`. */
static const char *slot_symbol(Elf *elf, GElf_Addr slot)
{
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_RELA || sh.sh_entsize == 0)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        Elf_Scn *symscn = elf_getscn(elf, sh.sh_link);
        GElf_Shdr symsh;
        if (d == NULL || symscn == NULL || gelf_getshdr(symscn, &symsh) == NULL)
            continue;
        Elf_Data *syms = elf_getdata(symscn, NULL);
        size_t n = sh.sh_size / sh.sh_entsize;
        for (size_t i = 0; i < n; i++) {
            GElf_Rela r;
            if (gelf_getrela(d, (int)i, &r) == NULL || r.r_offset != slot)
                continue;
            GElf_Sym sym;
            size_t idx = GELF_R_SYM(r.r_info);
            if (idx == 0 || syms == NULL || gelf_getsym(syms, (int)idx, &sym) == NULL)
                return NULL; /* IRELATIVE and the like: no symbol to name */
            return elf_strptr(elf, symsh.sh_link, sym.st_name);
        }
    }
    return NULL;
}

char *cb_plt_name(Dwfl_Module *mod, Dwarf_Addr addr)
{
    Dwarf_Addr bias;
    Elf *elf = dwfl_module_getelf(mod, &bias);
    if (elf == NULL || addr < bias)
        return NULL;
    GElf_Shdr sh;
    Elf_Scn *scn = plt_section(elf, addr - bias, &sh);
    if (scn == NULL)
        return NULL;
    GElf_Addr slot = stub_slot(scn, &sh, addr - bias);
    const char *target = slot ? slot_symbol(elf, slot) : NULL;
    if (target == NULL || target[0] == '\0')
        return NULL;
    char *name;
    return cb_fault_asprintf(&name, "%s@plt", target) < 0 ? NULL : name;
}

#else

char *cb_plt_name(Dwfl_Module *mod, Dwarf_Addr addr)
{
    (void)mod, (void)addr;
    return NULL;
}

#endif
