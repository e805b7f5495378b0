# cbench_add_test(NAME <name> SOURCES <src>... [LIBRARIES <lib>...] [STATIC]
#                 [ARGS <arg>...] [NO_CTEST])
#
# Builds a test binary linked with cbench (shared, or static with STATIC),
# with frame pointers kept so that profiles have whole stacks, and
# registers it with CTest (run by itself with ARGS; it runs its tests and
# exits non-zero on a failure). The binary is then found by `cbench DIR`.
# Available in cbench's own tree and after find_package(cbench).
function(cbench_add_test)
  cmake_parse_arguments(CBT "STATIC;NO_CTEST" "NAME" "SOURCES;LIBRARIES;ARGS" ${ARGN})
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
  if(NOT CBT_NO_CTEST)
    add_test(NAME ${CBT_NAME} COMMAND ${CBT_NAME} ${CBT_ARGS})
  endif()
endfunction()
