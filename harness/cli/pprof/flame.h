/*
 * Flame graphs of pprof profiles, as self-contained SVG files.
 *
 * The graph is the profile's call tree: every shown stack (pprof/
 * stacks.h: from the test function, unless `whole`) walked from its
 * root, one box per distinct path, its width in proportion to its value
 * (the sum over the samples through it of the chosen sample type),
 * children side by side above their parent in name order, the root
 * (the profile's total) at the bottom. Boxes narrower than a tenth of a
 * pixel at the file's width are left out, so a profile of millions of
 * stacks still gives a file a browser opens; the title says how much
 * was left out.
 *
 * With a base profile the graph is differential: the boxes are the new
 * profile's, each coloured by how its own value (what it spent in
 * itself, not in its callees) changed from the base, after scaling the
 * base to the new total so that a longer run does not read as growth:
 * red grew, blue shrank, white did not change, the deepest colour for
 * the largest change. The tooltip gives both values.
 *
 * The file holds its script (click a box to zoom to it, click the
 * bottom box or "Reset zoom" to zoom out; "Search" or Ctrl-F asks for a
 * regular expression and highlights the functions matching it, with
 * the share of the total they make; hovering shows a box's name, value
 * and share) and nothing is fetched from anywhere.
 */
#ifndef CB_CLI_PPROF_FLAME_H
#define CB_CLI_PPROF_FLAME_H

#include <stdbool.h>

#include "formats/buf.h"
#include "pprof/pprof.h"

typedef struct cb_flame_options {
    const char *sample_index; /* NULL: the profile's default */
    bool whole;               /* stacks from their root */
    const char *title;        /* NULL: "Flame graph" */
    double *height;           /* when not NULL: gets the SVG's height in pixels */
} cb_flame_options;

#define CB_FLAME_WIDTH 1200

/*
 * The SVG of p (and, when base is not NULL, its difference from base)
 * into b. 0, or -1 with errno and cbench_last_error() (EINVAL: no such
 * sample type, or base's types differ; ENOMEM).
 */
int cb_flame_svg(cb_buf *b, const cb_pprof *p, const cb_pprof *base, const cb_flame_options *o);

/* The same, written atomically to path. */
int cb_flame_write(const char *path, const cb_pprof *p, const cb_pprof *base,
                   const cb_flame_options *o);

#endif
