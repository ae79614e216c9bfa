# The baseline: real libuv (UVAFD_LIBUV_VERSION) built from UVAFD_LIBUV_SOURCE_DIR with the
# same mingw-w64 toolchain, as an IMPORTED static library `libuv_baseline`. Programs link against it and
# against uvafd_uv_static from one set of objects to compare the two libraries. libuv's DLL is
# built too (UVAFD_LIBUV_BASELINE_DLL): its export table is what uvafd_uv.dll must match.
#
# The build runs as an ExternalProject in ${CMAKE_BINARY_DIR}/libuv-baseline: libuv's own
# CMakeLists.txt, its static target uv_a and its shared target uv (no tests, no benchmarks, no
# install step).
# Nothing of libuv is copied into this repository; the sources stay where bootstrap put them.
# Safe to include more than once (from several directories): the second include is a no-op.
include_guard(GLOBAL)
if(TARGET libuv_baseline)
  return()
endif()

include(ExternalProject)

if(NOT EXISTS "${UVAFD_LIBUV_SOURCE_DIR}/CMakeLists.txt")
  message(FATAL_ERROR "libuv_baseline: no libuv source tree at UVAFD_LIBUV_SOURCE_DIR="
                      "'${UVAFD_LIBUV_SOURCE_DIR}' (run tools/bootstrap.sh)")
endif()

set(UVAFD_LIBUV_BASELINE_DIR "${CMAKE_BINARY_DIR}/libuv-baseline")
# libuv's static target uv_a is libuv_a.a up to 1.44 and libuv.a from the version whose
# CMakeLists renames it (OUTPUT_NAME "uv", 1.50.0's): read from that file, not guessed.
file(READ "${UVAFD_LIBUV_SOURCE_DIR}/CMakeLists.txt" _uvafd_baseline_lists)
if(_uvafd_baseline_lists MATCHES "set_target_properties\\(uv_a PROPERTIES OUTPUT_NAME \"uv\"\\)")
  set(_uvafd_baseline_static uv)
else()
  set(_uvafd_baseline_static uv_a)
endif()
unset(_uvafd_baseline_lists)
set(UVAFD_LIBUV_BASELINE_LIB "${UVAFD_LIBUV_BASELINE_DIR}/${CMAKE_STATIC_LIBRARY_PREFIX}")
string(APPEND UVAFD_LIBUV_BASELINE_LIB "${_uvafd_baseline_static}${CMAKE_STATIC_LIBRARY_SUFFIX}")
# libuv's target `uv` with mingw's naming (lib prefix, no version in the name on Windows).
set(UVAFD_LIBUV_BASELINE_DLL
    "${UVAFD_LIBUV_BASELINE_DIR}/${CMAKE_SHARED_LIBRARY_PREFIX}uv${CMAKE_SHARED_LIBRARY_SUFFIX}")

# Under a Makefile generator a literal $(MAKE) joins the outer make's job server, so
# `cmake --build ... -j2` stays at two jobs in total; other generators go through cmake --build
# (Ninja schedules its own jobs).
if(CMAKE_GENERATOR MATCHES "Makefiles")
  set(_uvafd_baseline_build "$(MAKE)" uv_a uv)
else()
  set(_uvafd_baseline_build ${CMAKE_COMMAND} --build <BINARY_DIR> --config Release --target uv_a uv)
endif()

# Where `cmake --install` of the baseline puts real libuv (no build step does; the package test
# does, to build a consumer against libuv's own install). Given at configure time because
# libuv writes it into its libuv.pc and libuv-static.pc then (an install --prefix elsewhere
# would leave them pointing here).
set(UVAFD_LIBUV_BASELINE_PREFIX "${UVAFD_LIBUV_BASELINE_DIR}-install")
set(_uvafd_baseline_args
  -DCMAKE_BUILD_TYPE=Release
  "-DCMAKE_INSTALL_PREFIX=${UVAFD_LIBUV_BASELINE_PREFIX}"
  -DLIBUV_BUILD_TESTS=OFF
  -DLIBUV_BUILD_BENCH=OFF
  -DBUILD_TESTING=OFF)
if(CMAKE_TOOLCHAIN_FILE)
  list(APPEND _uvafd_baseline_args "-DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE}")
endif()

ExternalProject_Add(libuv_baseline_build
  SOURCE_DIR "${UVAFD_LIBUV_SOURCE_DIR}"
  BINARY_DIR "${UVAFD_LIBUV_BASELINE_DIR}"
  PREFIX "${UVAFD_LIBUV_BASELINE_DIR}-ep"
  CMAKE_ARGS ${_uvafd_baseline_args}
  BUILD_COMMAND ${_uvafd_baseline_build}
  BUILD_BYPRODUCTS "${UVAFD_LIBUV_BASELINE_LIB}" "${UVAFD_LIBUV_BASELINE_DLL}"
  INSTALL_COMMAND ""
  TEST_COMMAND ""
  LOG_CONFIGURE ON
  LOG_OUTPUT_ON_FAILURE ON
  EXCLUDE_FROM_ALL ON)
unset(_uvafd_baseline_build)
unset(_uvafd_baseline_args)

add_library(libuv_baseline STATIC IMPORTED GLOBAL)
set_target_properties(libuv_baseline PROPERTIES
  IMPORTED_LOCATION "${UVAFD_LIBUV_BASELINE_LIB}"
  # uv.h comes from the source tree itself (the build adds no generated header).
  INTERFACE_INCLUDE_DIRECTORIES "${UVAFD_LIBUV_SOURCE_DIR}/include"
  # What libuv's Windows sources need at link time (its CMakeLists names most of these;
  # the rest are pulled in by the objects a static link may keep).
  INTERFACE_LINK_LIBRARIES
    "ws2_32;iphlpapi;userenv;dbghelp;ole32;uuid;shell32;psapi;user32;advapi32")
add_dependencies(libuv_baseline libuv_baseline_build)

# The baseline's paths for directories that include this file after the first one (the include
# guard skips it there, so its variables exist only in the first includer's scope): read them
# as $<TARGET_PROPERTY:libuv_baseline,UVAFD_BASELINE_DIR> (and _DLL, _PREFIX).
set_target_properties(libuv_baseline PROPERTIES
  UVAFD_BASELINE_DIR "${UVAFD_LIBUV_BASELINE_DIR}"
  UVAFD_BASELINE_DLL "${UVAFD_LIBUV_BASELINE_DLL}"
  UVAFD_BASELINE_PREFIX "${UVAFD_LIBUV_BASELINE_PREFIX}")
