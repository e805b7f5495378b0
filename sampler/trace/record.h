/*
 * The binary records of a trace, as threads append them to their buffers
 * and the writer reads them back.
 *
 * A record is a whole number of 8-byte words. Word 0 is the header: the
 * type (8 bits), the length in words (8 bits) and a 48-bit field whose
 * meaning depends on the type (a name id, a reason, a depth); word 1 is
 * the timestamp in raw ticks (clock.h). A region begin or end is these
 * two words, 16 bytes; names are ids into the interned table (names.h),
 * never copies. Log messages are the only variable part: their bytes
 * follow, padded to a word.
 */
#ifndef CB_TRACE_RECORD_H
#define CB_TRACE_RECORD_H

#include <stdint.h>

typedef enum cb_trace_rtype {
    CB_REC_INVALID = 0,
    CB_REC_REGION_BEGIN, /* aux: name id | category id << 16 */
    CB_REC_REGION_END,
    CB_REC_REGION_END_ARGS, /* aux: pair count; then (key id, double bits) pairs */
    CB_REC_TASK_BEGIN,      /* aux: name id; w2: task id */
    CB_REC_TASK_END,        /* aux: name id; w2: task id */
    CB_REC_LOG,             /* aux: category id; w2: length | cut << 32; then bytes */
    CB_REC_WAIT_BEGIN,      /* aux: reason; w2: object */
    CB_REC_WAIT_END,        /* aux: reason; w2: object; w3: flow id (0: none) */
    CB_REC_WAKE,            /* aux: reason; w2: object; w3: flow id */
    CB_REC_SAMPLE,          /* aux: depth; then PCs, leaf first */
    CB_REC_COUNTER,         /* aux: name id; w2: value (int64) */
    CB_REC_THREAD_NAME,     /* w2, w3: the name, 16 bytes */
    CB_REC_THREAD_START,
    CB_REC_THREAD_EXIT,
    CB_REC_DROPPED, /* w2: events this thread lost just before this one */
    CB_REC_NTYPES
} cb_trace_rtype;

enum {
    CB_REC_WORDS_MAX = 255,
    CB_REC_ARGS_MAX = 4,      /* pairs on a REGION_END_ARGS */
    CB_TRACE_LOG_MAX = 1023,  /* bytes of a log message; longer ones are cut */
    CB_TRACE_NAME_MAX = 127,  /* bytes of a name; longer ones are cut */
    CB_TRACE_STACK_MAX = 64,  /* PCs of a sample */
};

static inline uint64_t cb_rec_header(cb_trace_rtype type, unsigned words, uint64_t aux)
{
    return (uint64_t)type | (uint64_t)words << 8 | aux << 16;
}

static inline cb_trace_rtype cb_rec_type(uint64_t h)
{
    return (cb_trace_rtype)(h & 0xff);
}

static inline unsigned cb_rec_words(uint64_t h)
{
    return (unsigned)(h >> 8) & 0xff;
}

static inline uint64_t cb_rec_aux(uint64_t h)
{
    return h >> 16;
}

#endif
