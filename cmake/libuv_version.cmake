# Which libuv uvafd is built against: UVAFD_LIBUV_VERSION (a -D setting, or the environment
# variable of the same name that tools/bootstrap.sh reads too), one of the rows of
# cmake/libuv-versions.txt; the first row is the default. Its source tree is the one bootstrap
# unpacks beside the build trees (UVAFD_LIBUV_SOURCE_DIR), and its include/uv/version.h must say
# the same version: headers of one version with the settings of another would build a library
# whose ABI nobody checked. Any mismatch stops the configure step before anything is built.
include_guard(GLOBAL)

include(${CMAKE_CURRENT_LIST_DIR}/libuv_version_rows.cmake)
uvafd_libuv_version_rows(${CMAKE_CURRENT_LIST_DIR}/libuv-versions.txt UVAFD_LIBUV_SUPPORTED_VERSIONS)
list(GET UVAFD_LIBUV_SUPPORTED_VERSIONS 0 _uvafd_default)
if(DEFINED ENV{UVAFD_LIBUV_VERSION} AND NOT "$ENV{UVAFD_LIBUV_VERSION}" STREQUAL "")
  set(_uvafd_default $ENV{UVAFD_LIBUV_VERSION})
endif()
set(UVAFD_LIBUV_VERSION ${_uvafd_default} CACHE STRING
    "libuv version to build against (cmake/libuv-versions.txt)")
set_property(CACHE UVAFD_LIBUV_VERSION PROPERTY STRINGS ${UVAFD_LIBUV_SUPPORTED_VERSIONS})
string(REPLACE ";" ", " _uvafd_list "${UVAFD_LIBUV_SUPPORTED_VERSIONS}")
if(NOT UVAFD_LIBUV_VERSION IN_LIST UVAFD_LIBUV_SUPPORTED_VERSIONS)
  message(FATAL_ERROR "UVAFD_LIBUV_VERSION=${UVAFD_LIBUV_VERSION} is not supported; "
                      "supported: ${_uvafd_list} (cmake/libuv-versions.txt)")
endif()

set(UVAFD_LIBUV_SOURCE_DIR "${CMAKE_BINARY_DIR}/../third_party/libuv1-${UVAFD_LIBUV_VERSION}"
    CACHE PATH "libuv source tree of UVAFD_LIBUV_VERSION (Debian's libuv1 orig tarball)")

if(WIN32)
  set(_uvafd_vh "${UVAFD_LIBUV_SOURCE_DIR}/include/uv/version.h")
  if(NOT EXISTS "${_uvafd_vh}")
    message(FATAL_ERROR "libuv ${UVAFD_LIBUV_VERSION} sources not found in "
                        "${UVAFD_LIBUV_SOURCE_DIR}: run UVAFD_LIBUV_VERSION=${UVAFD_LIBUV_VERSION}"
                        " tools/bootstrap.sh (or set UVAFD_LIBUV_SOURCE_DIR)")
  endif()
  file(STRINGS "${_uvafd_vh}" _uvafd_defs REGEX "#define UV_VERSION_(MAJOR|MINOR|PATCH) ")
  set(_uvafd_found "")
  foreach(_part MAJOR MINOR PATCH)
    string(REGEX MATCH "UV_VERSION_${_part} +([0-9]+)" _m "${_uvafd_defs}")
    list(APPEND _uvafd_found ${CMAKE_MATCH_1})
  endforeach()
  string(REPLACE ";" "." _uvafd_found "${_uvafd_found}")
  if(NOT _uvafd_found STREQUAL UVAFD_LIBUV_VERSION)
    message(FATAL_ERROR "the libuv tree in ${UVAFD_LIBUV_SOURCE_DIR} is libuv ${_uvafd_found} "
                        "(include/uv/version.h), not UVAFD_LIBUV_VERSION=${UVAFD_LIBUV_VERSION}; "
                        "supported: ${_uvafd_list}")
  endif()
  message(STATUS "uvafd: libuv ${UVAFD_LIBUV_VERSION} from ${UVAFD_LIBUV_SOURCE_DIR}")
endif()
unset(_uvafd_default)
unset(_uvafd_list)
