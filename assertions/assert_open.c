/*
 * The scopes open on each thread, and those abandoned.
 *
 * A statement left by a jump (a failing cmocka assertion inside it
 * longjmps out of the test) never reaches its scope's end, and the scope
 * would keep the recorder on for the rest of the process: every
 * allocation slow, the log filling until later scopes' sites are partial.
 * So each thread keeps its open scopes in a small stack (what each one
 * records is kept here, not in the scope, whose memory may be reused by
 * then), and a scope is found abandoned:
 *
 *  - when a scope that was opened before it ends (it was opened inside
 *    that one's statement and left by a jump that landed there);
 *  - when a new scope begins and finds it on top of the stack but
 *    provably dead: its memory lies below the current frame (its frame
 *    was popped), is the new scope's own memory, or no longer holds the
 *    mark the scope wrote into itself.
 *
 * An abandoned scope's recording is released. A dead scope whose stack
 * memory happens to be intact and above the current frame (a sibling
 * test function's frame at the same depth) is not recognised until a
 * later check finds it; until then recording stays on, which is slower
 * but gives the same counts. Under the cbench plugin that check comes at
 * the latest when the test ends (cb_assert_open_reset in its teardown).
 */
#include "assertions.h"

enum { MAX_OPEN = 32 };
#define MARK 0x9e3779b97f4a7c15ULL

typedef struct open_scope {
    cb_assert_scope *s;
    unsigned rec;
} open_scope;

static __thread open_scope opened[MAX_OPEN];
static __thread int nopen;

static void release(const open_scope *o)
{
    if (o->rec)
        cb_scoperec_end(o->rec);
}

static bool dead(const cb_assert_scope *old, const cb_assert_scope *s, const void *frame)
{
    return (const void *)old < frame || old == s || old->canary != ((uintptr_t)old ^ MARK);
}

void cb_assert_open_push(cb_assert_scope *s)
{
    const void *frame = __builtin_frame_address(0);
    while (nopen > 0 && dead(opened[nopen - 1].s, s, frame))
        release(&opened[--nopen]);
    s->canary = (uintptr_t)s ^ MARK;
    s->tracked = nopen < MAX_OPEN;
    if (s->tracked)
        opened[nopen++] = (open_scope){s, s->rec};
}

bool cb_assert_open_pop(cb_assert_scope *s)
{
    if (!s->tracked)
        return true; /* too deep to be tracked: it holds its recording */
    int i = nopen - 1;
    while (i >= 0 && opened[i].s != s)
        i--;
    if (i < 0)
        return false; /* found abandoned and released already */
    while (nopen - 1 > i)
        release(&opened[--nopen]);
    nopen--;
    return true;
}

void cb_assert_open_reset(void)
{
    while (nopen > 0)
        release(&opened[--nopen]);
}
