# The resource assertions (include/cbench/assert.h).
set(CBENCH_ASSERTIONS_SOURCES
  assertions/assert_fail.c
  assertions/assert_open.c
  assertions/assert_report.c
  assertions/assert_scope.c)
