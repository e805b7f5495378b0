/*
 * cpu_workload.h: CPU-bound workloads for the CPU profiler benchmarks.
 *
 * Both workloads do a fixed amount of work, not a fixed amount of time, so
 * a run with a profiler attached does exactly the same instructions as one
 * without, and the difference in time is the profiler's cost.
 *
 *  - The tree: a call tree CPU_TREE_DEPTH functions deep whose leaves are
 *    small arithmetic kernels. It stands for a real program: samples land
 *    ~35 frames deep, in a few dozen distinct stacks.
 *  - The fixed-depth spin: a recursion to exactly `frames` frames (counted
 *    as an unwinder sees them, _start included) whose bottom loops. Every
 *    sample has the same depth, which is what a per-sample cost at a given
 *    depth needs. Its loop can also send SIGPROF to its own thread every
 *    so many iterations (cpu_depth_kick), to take many more samples per
 *    second than the kernel's tick lets a CPU timer deliver.
 */
#ifndef CBENCH_BENCH_CPU_WORKLOAD_H
#define CBENCH_BENCH_CPU_WORKLOAD_H

#include <stdint.h>

enum { CPU_TREE_DEPTH = 30 };

/* Runs `leaves` root-to-leaf descents of the tree; returns a checksum that
 * depends on all the work (print it, so nothing can be optimized out). */
uint64_t cpu_tree_run(long leaves);

/* Runs `iters` iterations of the spin loop with exactly `frames` frames on
 * the stack below it, callers included. Returns a checksum, or 0 with
 * *got_frames set to the depth reachable when `frames` is too shallow for
 * the callers already on the stack. */
uint64_t cpu_depth_run(int frames, long iters, int *got_frames);

/* Makes cpu_depth_run()'s loop send SIGPROF to its own thread every
 * `every` iterations (0: never), with si_code SI_TIMER, si_overrun 0 and
 * si_value `value`: what a profiler's per-thread CPU timer sends. It is
 * sent by a system call made inline in the loop (rt_tgsigqueueinfo), so
 * the signal interrupts the loop itself, with exactly the stack a timer
 * signal would find there. The loop runs the same instructions with or
 * without sending, bar the system call. */
void cpu_depth_kick(long every, int value);

#endif
