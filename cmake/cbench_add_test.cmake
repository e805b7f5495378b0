# cbench_add_test(NAME <name> SOURCES <src>... [LIBRARIES <lib>...] [STATIC]
#                 [ARGS <arg>...] [NO_CTEST] [BENCH [BENCH_ARGS <arg>...]])
#
# Builds a test binary linked with cbench (shared, or static with STATIC),
# with frame pointers kept so that profiles have whole stacks, and
# registers it with CTest (run by itself with ARGS; it runs its tests and
# exits non-zero on a failure). The binary is then found by `cbench DIR`.
# Available in cbench's own tree and after find_package(cbench).
#
# Benchmarks measure time, so they must not share the machine: a CTest
# run of benchmarks gets RUN_SERIAL, and `ctest -j8` runs it alone, never
# beside another test or benchmark, while plain test runs stay parallel.
# BENCH registers a second CTest test, <name>_bench, that runs the
# binary's benchmarks only (`--run ^$ --bench .`, then BENCH_ARGS, where
# a later --bench or --benchtime wins) with RUN_SERIAL and the label
# `cbench_bench` (`ctest -L cbench_bench` runs the benchmarks,
# `ctest -LE cbench_bench` the rest). ARGS holding --bench make the plain
# test a benchmark run too, and serial.
function(cbench_add_test)
  cmake_parse_arguments(CBT "STATIC;NO_CTEST;BENCH" "NAME" "SOURCES;LIBRARIES;ARGS;BENCH_ARGS"
                        ${ARGN})
  if(NOT CBT_NAME OR NOT CBT_SOURCES)
    message(FATAL_ERROR "cbench_add_test: NAME and SOURCES are required")
  endif()
  add_executable(${CBT_NAME} ${CBT_SOURCES})
  target_compile_options(${CBT_NAME} PRIVATE -fno-omit-frame-pointer)
  if(CBT_STATIC)
    target_link_libraries(${CBT_NAME} PRIVATE cbench::cbench_static)
  else()
    target_link_libraries(${CBT_NAME} PRIVATE cbench::cbench)
  endif()
  if(CBT_LIBRARIES)
    target_link_libraries(${CBT_NAME} PRIVATE ${CBT_LIBRARIES})
  endif()
  if(CBT_NO_CTEST)
    return()
  endif()
  add_test(NAME ${CBT_NAME} COMMAND ${CBT_NAME} ${CBT_ARGS})
  # --bench, -bench, --bench=X, -bench=X: the flag's spellings.
  set(benchmarks_in_args FALSE)
  foreach(arg IN LISTS CBT_ARGS)
    if(arg MATCHES "^--?bench(=.*)?$")
      set(benchmarks_in_args TRUE)
    endif()
  endforeach()
  if(benchmarks_in_args)
    set_tests_properties(${CBT_NAME} PROPERTIES RUN_SERIAL TRUE LABELS cbench_bench)
  endif()
  if(CBT_BENCH)
    add_test(NAME ${CBT_NAME}_bench
             COMMAND ${CBT_NAME} --run "^$" --bench . ${CBT_BENCH_ARGS})
    set_tests_properties(${CBT_NAME}_bench PROPERTIES RUN_SERIAL TRUE LABELS cbench_bench)
  endif()
endfunction()
