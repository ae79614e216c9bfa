# uvafd's compile and link flags as usage requirements of two INTERFACE targets, which each of
# uvafd's own targets links through uvafd_flags(): flags set on the directory would reach every
# target of a project that adds this one as a subdirectory, and no target could be seen to
# lack them.
#  - uvafd_warnings: -Wall -Wextra (libuv's own sources in compat/ then turn them off with -w:
#    its code is not ours to warn about);
#  - uvafd_sanitize: natively, ASan and UBSan (UVAFD_SANITIZE), or ThreadSanitizer instead
#    (UVAFD_TSAN), compile and link; nothing on Windows. The native tree checks that every program it builds is instrumented
#    (sanitizers_instrumented, tests/buildsys/instrumented.sh).
# uvafd_check_flags(), called last, stops the configure step if a target was not given them.
include_guard(GLOBAL)

add_library(uvafd_warnings INTERFACE)
target_compile_options(uvafd_warnings INTERFACE -Wall -Wextra)

add_library(uvafd_sanitize INTERFACE)
if(NOT WIN32 AND UVAFD_TSAN)
  # ThreadSanitizer cannot be combined with ASan: the native-tsan tree (CMakePresets.json)
  # builds and runs only the tests labelled "threads" with it (tools/test.sh).
  # -Wno-tsan: TSan does not model std::atomic_thread_fence (the reactor's wake / delivery
  # pair); that protocol is the spin model's to check (tests/model).
  target_compile_options(uvafd_sanitize INTERFACE -fsanitize=thread -fno-omit-frame-pointer
                                                  -Wno-tsan)
  target_link_options(uvafd_sanitize INTERFACE -fsanitize=thread)
elseif(NOT WIN32 AND UVAFD_SANITIZE)
  target_compile_options(uvafd_sanitize INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(uvafd_sanitize INTERFACE -fsanitize=address,undefined)
endif()

# uvafd_flags(TARGET...): in this tree only (the installed package's link interface names
# neither: a user's program chooses its own flags).
function(uvafd_flags)
  foreach(_t IN LISTS ARGN)
    target_link_libraries(${_t} PRIVATE $<BUILD_INTERFACE:uvafd_warnings>
                                        $<BUILD_INTERFACE:uvafd_sanitize>)
  endforeach()
endfunction()

# The targets of this project, in DIR and below, whose TYPE matches TYPES, into OUT.
set(UVAFD_BUILT_TYPES "EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY")
function(uvafd_built_targets dir types out)
  get_property(_targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  set(_built "")
  foreach(_t IN LISTS _targets)
    get_target_property(_type ${_t} TYPE)
    if(_type MATCHES "^(${types})$")
      list(APPEND _built ${_t})
    endif()
  endforeach()
  get_property(_subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(_sub IN LISTS _subdirs)
    uvafd_built_targets(${_sub} "${types}" _more)
    list(APPEND _built ${_more})
  endforeach()
  set(${out} ${_built} PARENT_SCOPE)
endfunction()

# A target created without uvafd_flags() would silently build without warnings or, natively,
# without the sanitizers: refuse to configure instead, naming it.
function(uvafd_check_flags)
  uvafd_built_targets(${PROJECT_SOURCE_DIR} "${UVAFD_BUILT_TYPES}" _built)
  set(_missing "")
  foreach(_t IN LISTS _built)
    get_target_property(_libs ${_t} LINK_LIBRARIES)
    if(NOT _libs MATCHES "uvafd_warnings" OR NOT _libs MATCHES "uvafd_sanitize")
      list(APPEND _missing ${_t})
    endif()
  endforeach()
  if(_missing)
    list(JOIN _missing " " _names)
    message(FATAL_ERROR "targets built without uvafd_flags() (cmake/build_flags.cmake): ${_names}")
  endif()
endfunction()

# Natively: every program and static library of this project is instrumented, checked in the
# files the build made (tests/buildsys/instrumented.sh), and the check itself can fail.
function(uvafd_add_instrumented_test)
  uvafd_built_targets(${PROJECT_SOURCE_DIR} "EXECUTABLE|STATIC_LIBRARY" _built)
  list(TRANSFORM _built REPLACE "(.+)" "$<TARGET_FILE:\\1>" OUTPUT_VARIABLE _files)
  set(_script ${PROJECT_SOURCE_DIR}/tests/buildsys/instrumented.sh)
  add_test(NAME sanitizers_instrumented COMMAND bash ${_script} ${_files})
  add_test(NAME sanitizers_instrumented_self_test
           COMMAND bash ${_script} --self-test ${CMAKE_C_COMPILER})
  set_tests_properties(sanitizers_instrumented sanitizers_instrumented_self_test
                       PROPERTIES TIMEOUT 120)
endfunction()
