# Script mode: what cmake/libuv_names.cmake makes of a libuv source tree, or its error.
#   cmake -DDIR=<libuv source tree> [-DUVAFD_LIBUV_VERSION=<version>] -P libuv_names_check.cmake
include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/libuv_names.cmake)
uvafd_libuv_names("${DIR}")
message("libuv ${UVAFD_LIBUV_NAMES_VERSION}: targets ${UVAFD_LIBUV_NAMES_NAMESPACE}uv and "
        "${UVAFD_LIBUV_NAMES_NAMESPACE}uv_a, static library "
        "${UVAFD_LIBUV_NAMES_STATIC_PREFIX}${UVAFD_LIBUV_NAMES_STATIC_OUTPUT}.a")
