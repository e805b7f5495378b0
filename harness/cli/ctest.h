/*
 * A build folder is a CTest project: how CTest would run a binary.
 *
 * CTest runs each test in its working directory (the WORKING_DIRECTORY
 * property, else the build folder of the CMakeLists.txt that added it)
 * with the variables of its ENVIRONMENT property. cb_ctest_lookup reads
 * the CTestTestfile.cmake files above and below a binary (the build tree
 * it belongs to) and finds the test whose command is that binary, so that
 * cbench runs it as ctest would. A binary no CTest file names runs in its
 * own folder.
 */
#ifndef CB_CLI_CTEST_H
#define CB_CLI_CTEST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cb_ctest_info {
    bool found;   /* a CTest file names the binary */
    char *test;   /* its test's name (when found) */
    char *cwd;    /* where to run it: always set */
    char **env;   /* "NAME=value" from ENVIRONMENT, in order */
    size_t nenv;
} cb_ctest_info;

/*
 * Fills *out for the binary at path (made absolute here). 0, or -1 with
 * errno ENOMEM; a CTest file that cannot be read or parsed is skipped.
 */
int cb_ctest_lookup(const char *path, cb_ctest_info *out);
void cb_ctest_free(cb_ctest_info *info);

#endif
