# What libuv's own CMakeLists.txt (in UVAFD_LIBUV_SOURCE_DIR) says about its Windows build, read
# from that file so that every supported version builds from its own lists and flags:
#   UVAFD_LIBUV_WIN_SOURCES    uv_sources: the common block and the block WIN32 appends
#   UVAFD_LIBUV_WIN_DEFINES    the uv_defines WIN32 appends (WIN32_LEAN_AND_MEAN, _WIN32_WINNT, ...)
#   UVAFD_LIBUV_WIN_LIBRARIES  the uv_libraries WIN32 appends
#   UVAFD_LIBUV_C_STANDARD     CMAKE_C_STANDARD (C_EXTENSIONS is on in every version: GNU C)
# A list that cannot be found is a configure error (a libuv whose CMakeLists changed shape).
# Included by each directory that needs them (the variables are that directory's).

file(READ ${UVAFD_LIBUV_SOURCE_DIR}/CMakeLists.txt _uvafd_lc)

function(_uvafd_libuv_block out regex marker)
  string(REGEX MATCHALL "${regex}" _blocks "${_uvafd_lc}")
  foreach(_block IN LISTS _blocks)
    if(_block MATCHES "${marker}")
      string(REGEX REPLACE "^(set|list)\\((APPEND[ \t\n]+)?[A-Za-z_]+" "" _body "${_block}")
      string(REGEX REPLACE "[()]" "" _body "${_body}")
      string(REGEX MATCHALL "[^ \t\n]+" _items "${_body}")
      set(${out} ${_items} PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "${UVAFD_LIBUV_SOURCE_DIR}/CMakeLists.txt: no block '${regex}' naming "
                      "'${marker}' (not a libuv tree of a supported shape?)")
endfunction()

_uvafd_libuv_block(_common "set\\(uv_sources[^)]*\\)" "src/uv-common\\.c")
_uvafd_libuv_block(_win "list\\(APPEND uv_sources[^)]*\\)" "src/win/core\\.c")
set(UVAFD_LIBUV_WIN_SOURCES ${_common} ${_win})
list(TRANSFORM UVAFD_LIBUV_WIN_SOURCES PREPEND ${UVAFD_LIBUV_SOURCE_DIR}/)
foreach(_file IN LISTS UVAFD_LIBUV_WIN_SOURCES)
  if(NOT EXISTS ${_file})
    message(FATAL_ERROR "libuv's uv_sources name ${_file}, which does not exist")
  endif()
endforeach()
_uvafd_libuv_block(UVAFD_LIBUV_WIN_DEFINES "list\\(APPEND uv_defines[^)]*\\)" "WIN32_LEAN_AND_MEAN")
_uvafd_libuv_block(UVAFD_LIBUV_WIN_LIBRARIES "list\\(APPEND uv_libraries[^)]*\\)" "psapi")
if(_uvafd_lc MATCHES "set\\(CMAKE_C_STANDARD ([0-9]+)\\)")
  set(UVAFD_LIBUV_C_STANDARD ${CMAKE_MATCH_1})
else()
  message(FATAL_ERROR "${UVAFD_LIBUV_SOURCE_DIR}/CMakeLists.txt sets no CMAKE_C_STANDARD")
endif()
unset(_uvafd_lc)
unset(_common)
unset(_win)
