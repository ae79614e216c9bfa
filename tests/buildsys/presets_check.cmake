# Every row of cmake/libuv-versions.txt has its configure preset in CMakePresets.json, which
# tools/test.sh configures its trees with: the first row (the default) is "win", which names
# no version; each other row v is "win-v", setting UVAFD_LIBUV_VERSION to v. A "win-*" preset
# without a row is stale. A row added without its preset would fail here, not halfway through
# a whole test run.
#   cmake -DPRESETS=CMakePresets.json -DVERSIONS=cmake/libuv-versions.txt -P presets_check.cmake
cmake_minimum_required(VERSION 3.25)
file(READ "${PRESETS}" _json)
include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/libuv_version_rows.cmake)
uvafd_libuv_version_rows("${VERSIONS}" _versions)
list(POP_FRONT _versions _default)

string(JSON _n LENGTH "${_json}" configurePresets)
math(EXPR _last "${_n} - 1")
set(_named "")
set(_errors "")
foreach(_i RANGE ${_last})
  string(JSON _name GET "${_json}" configurePresets ${_i} name)
  string(JSON _version ERROR_VARIABLE _none GET "${_json}" configurePresets ${_i}
         cacheVariables UVAFD_LIBUV_VERSION)
  if(_none)
    set(_version "")
  endif()
  set(_preset_${_name} "${_version}")
  list(APPEND _named ${_name})
endforeach()

if(NOT "win" IN_LIST _named)
  list(APPEND _errors "no configure preset \"win\" (libuv ${_default}, the first row)")
elseif(NOT _preset_win STREQUAL "" AND NOT _preset_win STREQUAL _default)
  list(APPEND _errors "preset \"win\" sets UVAFD_LIBUV_VERSION=${_preset_win}, not the first row's ${_default}")
endif()
foreach(_v IN LISTS _versions)
  if(NOT "win-${_v}" IN_LIST _named)
    list(APPEND _errors "no configure preset \"win-${_v}\" for the row of libuv ${_v}")
  elseif(NOT _preset_win-${_v} STREQUAL _v)
    list(APPEND _errors "preset \"win-${_v}\" sets UVAFD_LIBUV_VERSION=\"${_preset_win-${_v}}\", not ${_v}")
  endif()
endforeach()
foreach(_name IN LISTS _named)
  if(_name MATCHES "^win-(.*)$" AND NOT CMAKE_MATCH_1 IN_LIST _versions)
    list(APPEND _errors "preset \"${_name}\" has no row in ${VERSIONS}")
  endif()
endforeach()

if(_errors)
  list(JOIN _errors "\n  " _text)
  message(FATAL_ERROR "CMakePresets.json and ${VERSIONS} disagree:\n  ${_text}")
endif()
message(STATUS "presets: win for libuv ${_default}, win-<v> for each other row (${_versions})")
