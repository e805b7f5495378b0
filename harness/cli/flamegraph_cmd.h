/*
 * `cbench flamegraph` (flamegraph_cmd.c).
 */
#ifndef CB_CLI_FLAMEGRAPH_CMD_H
#define CB_CLI_FLAMEGRAPH_CMD_H

/* argv: what follows "flamegraph". Exit status. */
int cb_flamegraph_main(int argc, char **argv);

#endif
