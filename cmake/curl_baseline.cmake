# libcurl for the HTTP benchmark (bench/bench_http_curl.c): curl's own CMakeLists.txt, built as an
# ExternalProject in ${CMAKE_BINARY_DIR}/curl-baseline with the same mingw-w64 toolchain as a
# static library for HTTP only (no TLS, no compression, no IDN, PSL, SSH, LDAP or HTTP/2), as
# the IMPORTED target `curl_baseline`. The source is Debian's (bench/curl-version.txt), which
# bench/fetch_curl.sh unpacks beside the build trees; nothing of curl is in this repository.
# Without it UVAFD_CURL_FOUND is OFF and the HTTP benchmark is not built: nothing else depends on
# it. Looked for at every configure, so a tree configured before the fetch finds it on the next.
include_guard(GLOBAL)
include(ExternalProject)

file(STRINGS "${PROJECT_SOURCE_DIR}/bench/curl-version.txt" _uvafd_curl_row REGEX "^[0-9]")
string(REGEX MATCH "^[^ ]+" UVAFD_CURL_VERSION "${_uvafd_curl_row}")
unset(_uvafd_curl_row)
set(UVAFD_CURL_SOURCE_DIR "${CMAKE_BINARY_DIR}/../third_party/curl-${UVAFD_CURL_VERSION}"
    CACHE PATH "curl's source tree for the HTTP benchmark (bench/fetch_curl.sh fetches it)")
if(NOT EXISTS "${UVAFD_CURL_SOURCE_DIR}/include/curl/curl.h")
  set(UVAFD_CURL_FOUND OFF)
  message(STATUS "bench: no curl source in ${UVAFD_CURL_SOURCE_DIR}: the HTTP benchmark is not "
                 "built (bench/fetch_curl.sh ${CMAKE_BINARY_DIR}/../third_party fetches it)")
  return()
endif()
set(UVAFD_CURL_FOUND ON)
message(STATUS "bench: curl ${UVAFD_CURL_VERSION} from ${UVAFD_CURL_SOURCE_DIR}")

set(_uvafd_curl_dir "${CMAKE_BINARY_DIR}/curl-baseline")
set(_uvafd_curl_lib "${_uvafd_curl_dir}/lib/libcurl.a")
set(_uvafd_curl_args
  -DCMAKE_BUILD_TYPE=Release
  -DBUILD_SHARED_LIBS=OFF -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF
  -DCURL_ENABLE_EXPORT_TARGET=OFF -DPICKY_COMPILER=OFF
  -DHTTP_ONLY=ON -DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON
  -DCURL_ENABLE_SSL=OFF -DCURL_USE_OPENSSL=OFF -DCURL_USE_SCHANNEL=OFF
  -DCURL_ZLIB=OFF -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DCURL_USE_LIBPSL=OFF
  -DUSE_LIBIDN2=OFF -DUSE_WIN32_IDN=OFF -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBSSH=OFF
  -DUSE_NGHTTP2=OFF -DCURL_USE_GSSAPI=OFF -DENABLE_UNIX_SOCKETS=OFF)
if(CMAKE_TOOLCHAIN_FILE)
  list(APPEND _uvafd_curl_args "-DCMAKE_TOOLCHAIN_FILE=${CMAKE_TOOLCHAIN_FILE}")
endif()
# As the libuv baseline: under Makefiles a literal $(MAKE) joins the outer job server (-j2 in all).
if(CMAKE_GENERATOR MATCHES "Makefiles")
  set(_uvafd_curl_build "$(MAKE)" libcurl)
else()
  set(_uvafd_curl_build ${CMAKE_COMMAND} --build <BINARY_DIR> --config Release --target libcurl)
endif()
ExternalProject_Add(curl_baseline_build
  SOURCE_DIR "${UVAFD_CURL_SOURCE_DIR}"
  BINARY_DIR "${_uvafd_curl_dir}"
  PREFIX "${_uvafd_curl_dir}-ep"
  CMAKE_ARGS ${_uvafd_curl_args}
  BUILD_COMMAND ${_uvafd_curl_build}
  BUILD_BYPRODUCTS "${_uvafd_curl_lib}"
  INSTALL_COMMAND ""
  TEST_COMMAND ""
  LOG_CONFIGURE ON
  LOG_OUTPUT_ON_FAILURE ON
  EXCLUDE_FROM_ALL ON)

add_library(curl_baseline STATIC IMPORTED GLOBAL)
set_target_properties(curl_baseline PROPERTIES
  IMPORTED_LOCATION "${_uvafd_curl_lib}"
  INTERFACE_INCLUDE_DIRECTORIES "${UVAFD_CURL_SOURCE_DIR}/include"
  INTERFACE_COMPILE_DEFINITIONS CURL_STATICLIB
  # What a static libcurl without TLS needs on Windows (its CMakeLists' CURL_LIBS for WIN32).
  INTERFACE_LINK_LIBRARIES "ws2_32;bcrypt;advapi32;crypt32")
add_dependencies(curl_baseline curl_baseline_build)
unset(_uvafd_curl_build)
unset(_uvafd_curl_args)
unset(_uvafd_curl_lib)
unset(_uvafd_curl_dir)
