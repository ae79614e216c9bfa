# The versions of cmake/libuv-versions.txt (or another file of its form), first row first: read
# by cmake/libuv_version.cmake and by the check that each row has its preset
# (tests/buildsys/presets_check.cmake).
include_guard(GLOBAL)
function(uvafd_libuv_version_rows file out)
  file(STRINGS ${file} _rows REGEX "^[0-9]")
  set(_versions "")
  foreach(_row IN LISTS _rows)
    string(REGEX MATCH "^[0-9.]+" _v "${_row}")
    list(APPEND _versions ${_v})
  endforeach()
  set(${out} ${_versions} PARENT_SCOPE)
endfunction()
