#!/usr/bin/env bash
# The `cbench` command links the writers it shares with libcbench and
# nothing of libcbench's measuring side: it must define none of the
# functions libcbench interposes (so its own mallocs and locks are glibc's,
# uncounted) and load none of the libraries only profiling needs
# (libunwind, libdw). It reads and writes pprof files (top, flamegraph,
# the report, the per-binary profiles), so it loads protobuf-c and zlib.
#
#   test_links.sh CBENCH
set -euo pipefail
cbench=$1
status=0

defined=$(nm --defined-only "$cbench")
# What the interposers define (sampler/interpose/), and a few of the
# profilers' and the plugin's entry points.
for sym in malloc calloc realloc free posix_memalign aligned_alloc memalign valloc pvalloc \
           pthread_mutex_lock pthread_mutex_unlock pthread_rwlock_rdlock pthread_cond_wait \
           sem_wait pthread_join pthread_create pthread_exit dl_iterate_phdr \
           cbench_start_cpu_profile cbench_write_profile cbench_read_memstats \
           cbench_run_group_tests_ cbench_main_; do
    if grep -qE " [TtWwi] ${sym}\$" <<<"$defined"; then
        echo "test_links: $cbench defines $sym" >&2
        status=1
    fi
done
# What it shares with libcbench is there (the proof that the test looks
# at the right symbols).
for sym in cbench_last_error cb_results_json_write cb_options_parse cb_pprof_read cb_pprof_merge; do
    if ! grep -qE " [Tt] ${sym}\$" <<<"$defined"; then
        echo "test_links: $cbench lacks $sym" >&2
        status=1
    fi
done

libs=$(ldd "$cbench")
for lib in libcbench libcmocka libunwind libdw; do
    if grep -q "$lib" <<<"$libs"; then
        echo "test_links: $cbench loads $lib" >&2
        status=1
    fi
done
for lib in libjansson libprotobuf-c libz; do
    grep -q "$lib" <<<"$libs" || { echo "test_links: $cbench does not load $lib" >&2; status=1; }
done

[[ $status -eq 0 ]] && echo "test_links: ok ($(grep -cE ' [TtWw] ' <<<"$defined") functions, $(grep -c '=>' <<<"$libs") libraries)"
exit "$status"
