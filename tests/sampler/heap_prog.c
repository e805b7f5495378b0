/*
 * A program for the heap profile tests: a known allocation pattern in
 * three functions, then the heap and allocs profiles.
 *
 *   keeps_blocks        1000 blocks of 64 KiB, all kept live
 *   churns_small        1 000 000 blocks of 32 bytes, each freed at once
 *   grows_by_realloc    100 blocks made by realloc(NULL, 4 KiB) and grown by
 *                       realloc to 200 KiB in 4 KiB steps, kept live
 *
 * usage: heap_prog RATE OUTDIR   (writes heap.pb.gz allocs.pb.gz heap.txt)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbench/profile.h"

static void *volatile sink;
static void *kept[1000];
static void *grown[100];

static __attribute__((noinline)) void keeps_blocks(void)
{
    for (int i = 0; i < 1000; i++)
        kept[i] = malloc(64 * 1024);
}

static __attribute__((noinline)) void churns_small(void)
{
    for (int i = 0; i < 1000000; i++) {
        void *p = malloc(32);
        sink = p;
        free(p);
    }
}

static __attribute__((noinline)) void grows_by_realloc(void)
{
    for (int i = 0; i < 100; i++) {
        void *p = NULL;
        for (size_t size = 4096; size <= 200 * 1024; size += 4096)
            p = realloc(p, size);
        grown[i] = p;
    }
}

static int write_to(const char *dir, const char *file, const char *profile, int debug)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    if (!f || cbench_write_profile(profile, f, debug) != 0 || fclose(f) != 0) {
        fprintf(stderr, "heap_prog: %s: %s\n", path, cbench_last_error());
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s RATE OUTDIR\n", argv[0]);
        return 2;
    }
    cbench_set_mem_profile_rate(atol(argv[1]));
    keeps_blocks();
    churns_small();
    grows_by_realloc();
    return write_to(argv[2], "heap.pb.gz", "heap", 0) || write_to(argv[2], "allocs.pb.gz", "allocs", 0) ||
           write_to(argv[2], "heap.txt", "heap", 1);
}
