/*
 * The flags of the command's subcommands (compare, top, flamegraph):
 * "--name value", "--name=value", one dash or two, booleans without a
 * value; operands anywhere, "--" ending the flags. The run's own flags
 * are options.c's; these are the few each subcommand takes.
 */
#ifndef CB_CLI_SUBARGS_H
#define CB_CLI_SUBARGS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cb_subarg {
    const char *name;     /* without dashes: "sample-index", "n" */
    const char **value;   /* a flag with a value: where it goes (the last one given wins) */
    bool *set;            /* a boolean flag */
    void (*repeat)(void *ctx, const char *value); /* a repeatable flag with a value */
    void *ctx;
} cb_subarg;

/*
 * Parses argv[0..argc): flags by specs, operands moved in order to the
 * front of argv and counted in *nops. 0, or -1 with a one-line message
 * in err.
 */
int cb_subargs_parse(int argc, char **argv, const cb_subarg *specs, size_t nspecs, int *nops,
                     char *err, size_t errlen);

/*
 * For the subcommands that take one operand (a profile): parses as
 * above, with -h/--help added. 0 when there is exactly one operand
 * (argv[0]); 1 when help was asked; -1 with a message in err.
 */
int cb_subargs_single(int argc, char **argv, const cb_subarg *specs, size_t nspecs, char *err,
                      size_t errlen);

#endif
