/*
 * `cbench top` (top_cmd.c).
 */
#ifndef CB_CLI_TOP_CMD_H
#define CB_CLI_TOP_CMD_H

/* argv: what follows "top". Exit status. */
int cb_top_main(int argc, char **argv);

#endif
