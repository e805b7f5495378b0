/*
 * The style and script every flame graph SVG carries (flame_js.c).
 */
#ifndef CB_CLI_PPROF_FLAME_JS_H
#define CB_CLI_PPROF_FLAME_JS_H

extern const char cb_flame_css[];
extern const char cb_flame_js[];

#endif
