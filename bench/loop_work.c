/*
 * The timed functions of the loop benchmark; see loop_work.h. Inputs are
 * fixed (a seeded generator), so every run of either driver does the same
 * work.
 */
#include "loop_work.h"

#include <stdlib.h>
#include <string.h>

static unsigned char hash_input[64];
static int sort_input[LOOP_SORT_N];
static int sort_scratch[LOOP_SORT_N];

void loop_work_init(void)
{
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 64; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        hash_input[i] = (unsigned char)(x >> 56);
    }
    for (int i = 0; i < LOOP_SORT_N; i++)
        sort_input[i] = i;
    for (int i = LOOP_SORT_N - 1; i > 0; i--) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        int j = (int)((x >> 33) % (uint64_t)(i + 1));
        int t = sort_input[i];
        sort_input[i] = sort_input[j];
        sort_input[j] = t;
    }
}

static uint64_t rotl(uint64_t v, int r)
{
    return v << r | v >> (64 - r);
}

uint64_t loop_hash64(void)
{
    uint64_t h = 0x27d4eb2f165667c5u;
    for (int i = 0; i < 64; i += 8) {
        uint64_t w;
        memcpy(&w, hash_input + i, 8);
        h ^= rotl(w * 0xc2b2ae3d27d4eb4fu, 31) * 0x9e3779b185ebca87u;
        h = rotl(h, 27) * 0x9e3779b185ebca87u + 0x85ebca77c2b2ae63u;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    return h ^ (h >> 33);
}

/* Insertion sort, in place: the work touches only sort_scratch, so no
 * stack address (which differs between the two drivers) is involved. */
int loop_sort100(void)
{
    memcpy(sort_scratch, sort_input, sizeof sort_scratch);
    for (int i = 1; i < LOOP_SORT_N; i++) {
        int v = sort_scratch[i], j = i;
        for (; j > 0 && sort_scratch[j - 1] > v; j--)
            sort_scratch[j] = sort_scratch[j - 1];
        sort_scratch[j] = v;
    }
    return sort_scratch[LOOP_SORT_N / 2];
}

void loop_malloc_free(void)
{
    void *p = malloc(64);
    __asm__ __volatile__("" : : "r"(p) : "memory");
    free(p);
}
