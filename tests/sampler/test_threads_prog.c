/*
 * A program for the threads-profile pprof test: it parks three threads
 * named "worker-0".."worker-2" in threads_test_parked (created from
 * threads_test_spawn), then writes into the folder argv[1]:
 * threads.pb.gz, threads.txt (debug=1), threads_full.txt (debug=2),
 * threadcreate.pb.gz and threadcreate.txt.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cbench.h"
#include "test_threads_park.h"

static int write(const char *dir, const char *file, const char *name, int debug)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    if (!f || cbench_write_profile(name, f, debug) != 0) {
        fprintf(stderr, "writing %s: %s\n", path, cbench_last_error());
        return 1;
    }
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    park pk;
    park_start(&pk, 3, "worker", false);
    int bad = write(argv[1], "threads.pb.gz", "threads", 0) |
              write(argv[1], "threads.txt", "threads", 1) |
              write(argv[1], "threads_full.txt", "threads", 2) |
              write(argv[1], "threadcreate.pb.gz", "threadcreate", 0) |
              write(argv[1], "threadcreate.txt", "threadcreate", 1);
    park_release(&pk);
    return bad;
}
