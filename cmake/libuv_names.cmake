# The names libuv's own CMake build gives what it installs on MinGW, for the libuv version of
# the source tree this build uses: uvafd installs the same names so that a program's build that
# looks for libuv (find_package(libuv CONFIG), pkg-config libuv / libuv-static, -luv) finds
# uvafd unchanged. Read from libuv's CMakeLists.txt of each version; its ChangeLog dates each
# change:
#   1.45.0  "build: add libuv:: namespace to libuvConfig.cmake": the exported targets are
#           libuv::uv and libuv::uv_a; before, plain uv and uv_a.
#   1.47.0  "build: fix libuv.a file name for cmake": uv_a gets OUTPUT_NAME uv and, on Windows,
#           PREFIX lib (libuv.a); before, CMake's default libuv_a.a.
# Unchanged from 1.44.2 to 1.50.0: the DLL is target uv with CMake's MinGW prefix (libuv.dll,
# import library libuv.dll.a), VERSION <major>.0.0 and SOVERSION <major>; the export set is
# libuvConfig in lib/cmake/libuv; libuv.pc and libuv-static.pc come from libuv's own .pc.in
# templates; the headers are include/; LICENSE (and LICENSE-extra where it exists) go to
# share/doc/libuv.
#
# Sets, in the caller's scope:
#   UVAFD_LIBUV_NAMES_VERSION       the source tree's version (include/uv/version.h)
#   UVAFD_LIBUV_NAMES_NAMESPACE     "libuv::" or "" (the exported targets' namespace)
#   UVAFD_LIBUV_NAMES_STATIC_OUTPUT the static library's OUTPUT_NAME (uv or uv_a)
#   UVAFD_LIBUV_NAMES_STATIC_PREFIX its PREFIX (lib)
#   UVAFD_LIBUV_NAMES_MAJOR         the major version (the DLL's VERSION and SOVERSION)
include_guard(GLOBAL)

# The version of the libuv source tree at DIR, from its include/uv/version.h (the header the
# library is built from, so the names always follow the sources, whatever chose them).
function(uvafd_libuv_source_version out dir)
  set(_header "${dir}/include/uv/version.h")
  if(NOT EXISTS "${_header}")
    message(FATAL_ERROR "libuv_names: no ${_header}: not a libuv source tree")
  endif()
  foreach(_part MAJOR MINOR PATCH)
    file(STRINGS "${_header}" _line REGEX "^#define UV_VERSION_${_part} +[0-9]+$")
    string(REGEX REPLACE ".* ([0-9]+)$" "\\1" _${_part} "${_line}")
    if(NOT _${_part} MATCHES "^[0-9]+$")
      message(FATAL_ERROR "libuv_names: no UV_VERSION_${_part} in ${_header}")
    endif()
  endforeach()
  set(${out} "${_MAJOR}.${_MINOR}.${_PATCH}" PARENT_SCOPE)
endfunction()

function(uvafd_libuv_names dir)
  uvafd_libuv_source_version(_version "${dir}")
  # The version the build chose (UVAFD_LIBUV_VERSION, where the build sets it) and the one the
  # sources say must agree: installing 1.50.0's names over 1.44.2's library would be a lie.
  if(DEFINED UVAFD_LIBUV_VERSION AND NOT UVAFD_LIBUV_VERSION VERSION_EQUAL _version)
    message(FATAL_ERROR "libuv_names: UVAFD_LIBUV_VERSION is ${UVAFD_LIBUV_VERSION} but the "
                        "libuv source tree ${dir} is ${_version}")
  endif()
  string(REGEX MATCH "^[0-9]+" _major "${_version}")
  if(NOT _major EQUAL 1)
    message(FATAL_ERROR "libuv_names: libuv ${_version}: only libuv 1.x's names are known")
  endif()
  if(_version VERSION_GREATER_EQUAL 1.45.0)
    set(_namespace "libuv::")
  else()
    set(_namespace "")
  endif()
  if(_version VERSION_GREATER_EQUAL 1.47.0)
    set(_static_output uv)
  else()
    set(_static_output uv_a)
  endif()
  set(UVAFD_LIBUV_NAMES_VERSION "${_version}" PARENT_SCOPE)
  set(UVAFD_LIBUV_NAMES_MAJOR "${_major}" PARENT_SCOPE)
  set(UVAFD_LIBUV_NAMES_NAMESPACE "${_namespace}" PARENT_SCOPE)
  set(UVAFD_LIBUV_NAMES_STATIC_OUTPUT "${_static_output}" PARENT_SCOPE)
  set(UVAFD_LIBUV_NAMES_STATIC_PREFIX lib PARENT_SCOPE)
endfunction()
