/*
 * The binary's answer to the command at a timeout (model in diagnose.c).
 */
#ifndef CB_DIAGNOSE_H
#define CB_DIAGNOSE_H

/* Under the command (CBENCH_DIAGNOSE_SIGNAL set), installs the handler
 * that answers its diagnosis signal. Once, when the flags are read. */
void cb_diagnose_install(void);

#endif
