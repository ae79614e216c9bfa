# What `cmake --install` puts in a prefix: every file libuv's own install of the same version
# puts there, under the same names (cmake/libuv_names.cmake), so that a build looking for libuv
# finds uvafd unchanged; and uvafd's own names beside them, as aliases of the same libraries.
# Included from compat/CMakeLists.txt once uvafd_uv_static and uvafd_uv_shared exist.
#
#   libuv's names                          uvafd's aliases
#   bin/libuv.dll, lib/libuv.dll.a         bin/uvafd_uv.dll, lib/libuvafd_uv.dll.a
#   lib/libuv.a (libuv_a.a before 1.47)    (the same file)
#   find_package(libuv CONFIG):            find_package(uvafd):
#     libuv::uv, libuv::uv_a                 uvafd::uvafd_uv_shared, uvafd::uvafd_uv_static
#     (uv, uv_a before 1.45)
#   pkg-config libuv, libuv-static         pkg-config uvafd, uvafd-static
#   include/uv.h, include/uv/              include/uvafd/reactor.h
#   share/doc/libuv/LICENSE[-extra]
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
include(${CMAKE_CURRENT_LIST_DIR}/libuv_names.cmake)
uvafd_libuv_names(${UVAFD_LIBUV_SOURCE_DIR})
set(_ns "${UVAFD_LIBUV_NAMES_NAMESPACE}")

# The two libraries under libuv's file and target names. VERSION is libuv's too: it is the
# DLL's image version (1.0), which libuv sets "mirroring the behaviour of autotools".
set_target_properties(uvafd_uv_shared PROPERTIES
  OUTPUT_NAME uv EXPORT_NAME uv
  VERSION ${UVAFD_LIBUV_NAMES_MAJOR}.0.0 SOVERSION ${UVAFD_LIBUV_NAMES_MAJOR})
set_target_properties(uvafd_uv_static PROPERTIES
  OUTPUT_NAME ${UVAFD_LIBUV_NAMES_STATIC_OUTPUT} PREFIX ${UVAFD_LIBUV_NAMES_STATIC_PREFIX}
  EXPORT_NAME uv_a)

# uvafd_uv.dll: the DLL's objects linked once more under uvafd's name, with an import library
# of its own. A DLL's name is written into every program linked against it, so programs linked
# by uvafd's names (uvafd.pc, uvafd::uvafd_uv_shared) or before libuv's names existed keep
# loading uvafd_uv.dll; a copy of libuv.dll.a would send them to libuv.dll instead.
add_library(uvafd_uv_dll_alias SHARED $<TARGET_OBJECTS:uvafd_uv_shared>)
uvafd_flags(uvafd_uv_dll_alias)
target_link_libraries(uvafd_uv_dll_alias PRIVATE uvafd_backend PUBLIC ${UVAFD_LIBUV_LIBRARIES})
target_compile_definitions(uvafd_uv_dll_alias INTERFACE USING_UV_SHARED=1)
target_include_directories(uvafd_uv_dll_alias INTERFACE
  $<BUILD_INTERFACE:${UVAFD_LIBUV_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(uvafd_uv_dll_alias PROPERTIES
  OUTPUT_NAME uvafd_uv PREFIX "" EXPORT_NAME uvafd_uv_shared
  VERSION ${UVAFD_LIBUV_NAMES_MAJOR}.0.0
  # The objects alone name no language; the reactor inside is C++, as for uvafd_uv_shared.
  LINKER_LANGUAGE CXX)

# The static library's reactor is C++: a program linking it (a C program, as libuv's users
# are) needs the C++ runtime, named by file so that it links statically, as the DLL carries it.
# Only in the installed interface: in this tree the toolchain's flags do it, and Threads::Threads
# (empty with mingw-w64's posix threads) stays out of the export, which, like libuv's, is a
# plain targets file that finds no dependency first.
target_link_libraries(uvafd_core INTERFACE
  "$<INSTALL_INTERFACE:-l:libstdc++.a;-l:libwinpthread.a>")

# find_package(libuv CONFIG): libuv's export set libuvConfig in lib/cmake/libuv, holding
# libuvConfig.cmake and libuvConfig-<config>.cmake as libuv's does (libuv installs no version
# file: neither does uvafd). The reactor's two static libraries ride along: the static
# library's link interface names them.
set(_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake)
install(TARGETS uvafd_uv_shared uvafd_uv_static uvafd_backend uvafd_core
        EXPORT libuvConfig
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT libuvConfig DESTINATION ${_cmake_dir}/libuv NAMESPACE "${_ns}")

# find_package(uvafd): the alias DLL's own export, and a config that loads libuv's package from
# the same prefix and names its targets again.
install(TARGETS uvafd_uv_dll_alias EXPORT uvafdTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT uvafdTargets NAMESPACE uvafd:: DESTINATION ${_cmake_dir}/uvafd)
set(UVAFD_LIBUV_TARGET_NAMESPACE "${_ns}")
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/uvafdConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/uvafdConfig.cmake
  INSTALL_DESTINATION ${_cmake_dir}/uvafd)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/uvafdConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/uvafdConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/uvafdConfigVersion.cmake
        DESTINATION ${_cmake_dir}/uvafd)

# The headers: libuv's (the ABI uvafd implements, from the build's libuv source tree) and the
# reactor's. libuv's licence goes where libuv's install puts it: its code is in both libraries.
install(DIRECTORY ${UVAFD_LIBUV_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/backend/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(_file LICENSE LICENSE-extra)
  if(EXISTS ${UVAFD_LIBUV_SOURCE_DIR}/${_file})
    install(FILES ${UVAFD_LIBUV_SOURCE_DIR}/${_file}
            DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/libuv)
  endif()
endforeach()

# pkg-config, in lib/pkgconfig. libuv.pc and libuv-static.pc are libuv's own templates from the
# source tree, so their text follows the version (1.47 moved libuv-static.pc from -luv_a to
# -l:libuv.a; 1.50's libuv.pc has a LIBUV_STATIC variable). Two values differ from libuv's:
#   - the paths start at ${pcfiledir}, so an installed tree works from any prefix (libuv
#     writes the configure-time prefix);
#   - LIBS, libuv's Windows libraries, also names what uvafd's static library needs that
#     libuv's does not: the reactor's two libraries and the C++ runtime (libuv's own templates
#     have one @LIBS@ for both files; the DLL's programs pull nothing from them).
# uvafd.pc links the alias DLL; uvafd-static.pc is libuv-static.pc under uvafd's name.
file(RELATIVE_PATH UVAFD_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" UVAFD_PC_TO_PREFIX "${UVAFD_PC_TO_PREFIX}")
function(uvafd_libuv_pc name)
  set(prefix "\${pcfiledir}/${UVAFD_PC_TO_PREFIX}")
  set(libdir "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(includedir "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
  set(PACKAGE_VERSION "${UVAFD_LIBUV_NAMES_VERSION}")
  set(LIBS -luvafd_backend -luvafd_core -l:libstdc++.a -l:libwinpthread.a)
  list(TRANSFORM UVAFD_LIBUV_LIBRARIES PREPEND -l OUTPUT_VARIABLE _system)
  list(APPEND LIBS ${_system})
  list(JOIN LIBS " " LIBS)
  configure_file(${UVAFD_LIBUV_SOURCE_DIR}/${name}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${name}.pc
                 @ONLY)
endfunction()
foreach(_pc libuv libuv-static)
  uvafd_libuv_pc(${_pc})
endforeach()
foreach(_pc uvafd uvafd-static)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${_pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${_pc}.pc
                 @ONLY)
endforeach()
foreach(_pc libuv libuv-static uvafd uvafd-static)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${_pc}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
unset(_ns)
unset(_cmake_dir)
