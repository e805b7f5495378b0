/*
 * cbench.h: everything libcbench offers, in one include.
 */
#ifndef CBENCH_H
#define CBENCH_H

#include "cbench/profile.h"
#include "cbench/bench.h"
#include "cbench/assert.h"
#include "cbench/trace.h"

#endif
