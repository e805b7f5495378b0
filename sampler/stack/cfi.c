/*
 * DWARF call-frame rules from .eh_frame (model in cfi.h).
 *
 * Formats (DWARF 4 section 6.4, the LSB's .eh_frame and .eh_frame_hdr):
 * a CIE holds what the functions of a compilation unit share (alignment
 * factors, the return-address column, the pointer encodings in its
 * augmentation, the initial instructions); an FDE holds one function's
 * address range and the instructions that change the rules as its PC
 * advances. Everything is read in place from the mapped sections.
 */
#include "stack/cfi.h"

#include <dlfcn.h>
#include <link.h>
#include <stddef.h>
#include <string.h>

/* Pointer encodings (DW_EH_PE_*): the low nibble is the format, the high
 * one what the value is relative to. */
enum {
    PE_ABSPTR = 0x00, PE_ULEB = 0x01, PE_UDATA2 = 0x02, PE_UDATA4 = 0x03, PE_UDATA8 = 0x04,
    PE_SLEB = 0x09, PE_SDATA2 = 0x0a, PE_SDATA4 = 0x0b, PE_SDATA8 = 0x0c,
    PE_PCREL = 0x10, PE_DATAREL = 0x30, PE_INDIRECT = 0x80, PE_OMIT = 0xff
};

/* DWARF register numbers on x86-64. */
enum { REG_RBP = 6, REG_RSP = 7, REG_RA = 16 };

enum { RULE_SAME, RULE_UNDEFINED, RULE_OFFSET, RULE_OTHER };

typedef struct reg_rule {
    int how;
    int64_t offset; /* RULE_OFFSET: saved at CFA + offset */
} reg_rule;

typedef struct frame_state {
    int cfa_reg;
    bool cfa_expression;
    int64_t cfa_offset;
    reg_rule rbp, ra;
} frame_state;

typedef struct cie {
    uint64_t code_align;
    int64_t data_align;
    uint8_t fde_encoding;
    bool has_augmentation_data; /* 'z' */
    const uint8_t *insns, *end;
} cie;

enum { MAX_REMEMBERED = 8 };

static uint64_t uleb(const uint8_t **p, const uint8_t *end)
{
    uint64_t v = 0;
    for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    return v;
}

static int64_t sleb(const uint8_t **p, const uint8_t *end)
{
    int64_t v = 0;
    unsigned shift = 0;
    uint8_t b = 0;
    while (*p < end && shift < 64) {
        b = *(*p)++;
        v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (shift < 64 && (b & 0x40))
        v |= -((int64_t)1 << shift);
    return v;
}

/* Reads a pointer in `enc`; `datarel` is the base of DW_EH_PE_datarel.
 * Returns -1 for an encoding not met in practice. */
static int read_encoded(const uint8_t **p, const uint8_t *end, uint8_t enc, uintptr_t datarel,
                        uintptr_t *out)
{
    const uint8_t *at = *p;
    uint64_t v;
    switch (enc & 0x0f) {
    case PE_ABSPTR:
    case PE_UDATA8:
    case PE_SDATA8:
        memcpy(&v, at, 8), *p += 8;
        break;
    case PE_UDATA4: {
        uint32_t x;
        memcpy(&x, at, 4), *p += 4, v = x;
        break;
    }
    case PE_SDATA4: {
        int32_t x;
        memcpy(&x, at, 4), *p += 4, v = (uint64_t)(int64_t)x;
        break;
    }
    case PE_UDATA2: {
        uint16_t x;
        memcpy(&x, at, 2), *p += 2, v = x;
        break;
    }
    case PE_SDATA2: {
        int16_t x;
        memcpy(&x, at, 2), *p += 2, v = (uint64_t)(int64_t)x;
        break;
    }
    case PE_ULEB:
        v = uleb(p, end);
        break;
    case PE_SLEB:
        v = (uint64_t)sleb(p, end);
        break;
    default:
        return -1;
    }
    switch (enc & 0x70) {
    case 0:
        break;
    case PE_PCREL:
        v += (uintptr_t)at;
        break;
    case PE_DATAREL:
        v += datarel;
        break;
    default:
        return -1;
    }
    if (enc & PE_INDIRECT)
        v = *(const uint64_t *)(uintptr_t)v;
    *out = (uintptr_t)v;
    return 0;
}

static int parse_cie(const uint8_t *p, cie *c)
{
    uint32_t len;
    memcpy(&len, p, 4);
    if (len == 0 || len == 0xffffffff)
        return -1; /* a terminator, or 64-bit DWARF: not produced for x86-64 */
    const uint8_t *end = p + 4 + len;
    p += 8; /* length, CIE id */
    uint8_t version = *p++;
    const char *aug = (const char *)p;
    p += strlen(aug) + 1;
    if (aug[0] && aug[0] != 'z')
        return -1; /* "eh" and other old forms */
    if (version == 4)
        p += 2; /* address and segment selector sizes */
    c->code_align = uleb(&p, end);
    c->data_align = sleb(&p, end);
    uint64_t ra = version == 1 ? *p++ : uleb(&p, end);
    if (ra != REG_RA)
        return -1;
    c->fde_encoding = PE_ABSPTR;
    c->has_augmentation_data = aug[0] == 'z';
    if (c->has_augmentation_data) {
        uint64_t n = uleb(&p, end);
        const uint8_t *data_end = p + n;
        for (const char *a = aug + 1; *a; a++) {
            uintptr_t ignored;
            if (*a == 'R') {
                c->fde_encoding = *p++;
            } else if (*a == 'L') {
                p++;
            } else if (*a == 'P') {
                uint8_t enc = *p++;
                if (read_encoded(&p, data_end, enc & ~PE_INDIRECT, 0, &ignored) < 0)
                    return -1;
            } else {
                return -1; /* 'S' (a signal frame) and anything unknown */
            }
        }
        p = data_end;
    }
    c->insns = p;
    c->end = end;
    return 0;
}

static void set_rule(frame_state *st, uint64_t reg, int how, int64_t offset)
{
    reg_rule r = {how, offset};
    if (reg == REG_RBP)
        st->rbp = r;
    else if (reg == REG_RA)
        st->ra = r;
}

static void restore_rule(frame_state *st, const frame_state *initial, uint64_t reg)
{
    if (reg == REG_RBP)
        st->rbp = initial->rbp;
    else if (reg == REG_RA)
        st->ra = initial->ra;
}

/* Runs call-frame instructions from `loc` while the rules still apply at
 * `pc`. `initial` is the state after the CIE's instructions (for
 * DW_CFA_restore), NULL while running those. Returns -1 on an instruction
 * this reader does not know. */
static int run(const uint8_t *p, const uint8_t *end, const cie *c, uintptr_t loc, uintptr_t pc,
               frame_state *st, const frame_state *initial)
{
    frame_state saved[MAX_REMEMBERED];
    int nsaved = 0;
    while (p < end) {
        uint8_t op = *p++;
        uint64_t reg, delta = 0;
        int64_t off;
        switch (op & 0xc0) {
        case 0x40: /* DW_CFA_advance_loc */
            delta = (op & 0x3f) * c->code_align;
            goto advance;
        case 0x80: /* DW_CFA_offset */
            off = (int64_t)uleb(&p, end) * c->data_align;
            set_rule(st, op & 0x3f, RULE_OFFSET, off);
            continue;
        case 0xc0: /* DW_CFA_restore */
            if (initial)
                restore_rule(st, initial, op & 0x3f);
            continue;
        }
        switch (op) {
        case 0x00: /* nop */
            continue;
        case 0x01: { /* set_loc */
            uintptr_t to;
            if (read_encoded(&p, end, c->fde_encoding, 0, &to) < 0)
                return -1;
            if (to > pc)
                return 0;
            loc = to;
            continue;
        }
        case 0x02:
            delta = *p++ * c->code_align;
            goto advance;
        case 0x03: {
            uint16_t d;
            memcpy(&d, p, 2), p += 2;
            delta = d * c->code_align;
            goto advance;
        }
        case 0x04: {
            uint32_t d;
            memcpy(&d, p, 4), p += 4;
            delta = d * c->code_align;
            goto advance;
        }
        case 0x05: /* offset_extended */
            reg = uleb(&p, end);
            set_rule(st, reg, RULE_OFFSET, (int64_t)uleb(&p, end) * c->data_align);
            continue;
        case 0x06: /* restore_extended */
            reg = uleb(&p, end);
            if (initial)
                restore_rule(st, initial, reg);
            continue;
        case 0x07: /* undefined */
            set_rule(st, uleb(&p, end), RULE_UNDEFINED, 0);
            continue;
        case 0x08: /* same_value */
            set_rule(st, uleb(&p, end), RULE_SAME, 0);
            continue;
        case 0x09: /* register */
            reg = uleb(&p, end);
            uleb(&p, end);
            set_rule(st, reg, RULE_OTHER, 0);
            continue;
        case 0x0a: /* remember_state */
            if (nsaved == MAX_REMEMBERED)
                return -1;
            saved[nsaved++] = *st;
            continue;
        case 0x0b: /* restore_state */
            if (nsaved == 0)
                return -1;
            *st = saved[--nsaved];
            continue;
        case 0x0c: /* def_cfa */
            st->cfa_reg = (int)uleb(&p, end);
            st->cfa_offset = (int64_t)uleb(&p, end);
            st->cfa_expression = false;
            continue;
        case 0x0d: /* def_cfa_register */
            st->cfa_reg = (int)uleb(&p, end);
            continue;
        case 0x0e: /* def_cfa_offset */
            st->cfa_offset = (int64_t)uleb(&p, end);
            continue;
        case 0x0f: /* def_cfa_expression */
            p += uleb(&p, end);
            st->cfa_expression = true;
            continue;
        case 0x10: /* expression */
        case 0x16: /* val_expression */
            reg = uleb(&p, end);
            p += uleb(&p, end);
            set_rule(st, reg, RULE_OTHER, 0);
            continue;
        case 0x11: /* offset_extended_sf */
            reg = uleb(&p, end);
            set_rule(st, reg, RULE_OFFSET, sleb(&p, end) * c->data_align);
            continue;
        case 0x12: /* def_cfa_sf */
            st->cfa_reg = (int)uleb(&p, end);
            st->cfa_offset = sleb(&p, end) * c->data_align;
            st->cfa_expression = false;
            continue;
        case 0x13: /* def_cfa_offset_sf */
            st->cfa_offset = sleb(&p, end) * c->data_align;
            continue;
        case 0x14: /* val_offset */
            reg = uleb(&p, end);
            uleb(&p, end);
            set_rule(st, reg, RULE_OTHER, 0);
            continue;
        case 0x15: /* val_offset_sf */
            reg = uleb(&p, end);
            sleb(&p, end);
            set_rule(st, reg, RULE_OTHER, 0);
            continue;
        case 0x2e: /* GNU_args_size */
            uleb(&p, end);
            continue;
        case 0x2f: /* GNU_negative_offset_extended */
            reg = uleb(&p, end);
            set_rule(st, reg, RULE_OFFSET, -(int64_t)uleb(&p, end) * c->data_align);
            continue;
        default:
            return -1;
        }
    advance:
        if (pc < loc + delta)
            return 0; /* the next rows start past pc */
        loc += delta;
    }
    return 0;
}

/* The FDE covering pc through .eh_frame_hdr's sorted table, or NULL. */
static const uint8_t *find_fde(const uint8_t *hdr, uintptr_t pc)
{
    if (hdr[0] != 1 || hdr[3] != (PE_DATAREL | PE_SDATA4))
        return NULL;
    const uint8_t *p = hdr + 4;
    uintptr_t eh_frame, count;
    if (read_encoded(&p, p + 8, hdr[1], (uintptr_t)hdr, &eh_frame) < 0 ||
        read_encoded(&p, p + 8, hdr[2], (uintptr_t)hdr, &count) < 0 || count == 0)
        return NULL;
    const int32_t *table = (const int32_t *)p; /* pairs: start, FDE */
    uintptr_t base = (uintptr_t)hdr;
    size_t lo = 0, hi = count;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (base + (intptr_t)table[2 * mid] <= pc)
            lo = mid;
        else
            hi = mid;
    }
    if (base + (intptr_t)table[2 * lo] > pc)
        return NULL;
    return (const uint8_t *)(base + (intptr_t)table[2 * lo + 1]);
}

static int rule_of(const frame_state *st, cb_cfi_rule *rule)
{
    if (st->cfa_expression || (st->cfa_reg != REG_RSP && st->cfa_reg != REG_RBP) ||
        st->cfa_offset < INT32_MIN || st->cfa_offset > INT32_MAX)
        return -1;
    *rule = (cb_cfi_rule){.cfa_offset = (int32_t)st->cfa_offset, .cfa_rbp = st->cfa_reg == REG_RBP};
    if (st->ra.how == RULE_UNDEFINED) {
        rule->outermost = true;
        return 0;
    }
    if (st->ra.how != RULE_OFFSET || st->ra.offset != -8)
        return -1;
    if (st->rbp.how == RULE_OFFSET) {
        if (st->rbp.offset < INT32_MIN || st->rbp.offset > INT32_MAX)
            return -1;
        rule->rbp_saved = true;
        rule->rbp_offset = (int32_t)st->rbp.offset;
    } else if (st->rbp.how != RULE_SAME) {
        return -1;
    }
    return 0;
}

int cb_cfi_find(uintptr_t pc, cb_cfi_rule *rule)
{
    struct dl_find_object fo;
    if (_dl_find_object((void *)pc, &fo) != 0 || !fo.dlfo_eh_frame)
        return -1;
    const uint8_t *fde = find_fde(fo.dlfo_eh_frame, pc);
    if (!fde)
        return -1;
    uint32_t len, cie_offset;
    memcpy(&len, fde, 4);
    memcpy(&cie_offset, fde + 4, 4);
    if (len == 0 || len == 0xffffffff || cie_offset == 0)
        return -1;
    const uint8_t *end = fde + 4 + len;
    cie c;
    if (parse_cie(fde + 4 - cie_offset, &c) < 0)
        return -1;
    const uint8_t *p = fde + 8;
    uintptr_t start, range;
    if (read_encoded(&p, end, c.fde_encoding, 0, &start) < 0 ||
        read_encoded(&p, end, c.fde_encoding & 0x0f, 0, &range) < 0)
        return -1;
    if (pc < start || pc - start >= range)
        return -1;
    if (c.has_augmentation_data)
        p += uleb(&p, end);
    frame_state initial = {.cfa_reg = REG_RSP, .rbp = {RULE_SAME, 0}, .ra = {RULE_UNDEFINED, 0}};
    if (run(c.insns, c.end, &c, start, pc, &initial, NULL) < 0)
        return -1;
    frame_state st = initial;
    if (run(p, end, &c, start, pc, &st, &initial) < 0)
        return -1;
    return rule_of(&st, rule);
}
