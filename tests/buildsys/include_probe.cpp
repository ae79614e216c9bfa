// Compiled with what a port links (uvafd_backend on Windows, uvafd_core natively), never as
// part of a build: tests/buildsys/CMakeLists.txt builds it on demand, once with the reactor's
// public header, which must compile, and once with its internal one, which must not be found.
#if defined(UVAFD_PROBE_INTERNAL)
#include "reactor.h"
#else
#include "uvafd/reactor.h"
#endif
int uvafd_include_probe = 0;
