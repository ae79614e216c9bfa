// The base socket: the one AFD polls. A layered service provider (LSP) hands the application a
// socket of its own above the base provider's; AFD must be asked about the base one.
#pragma once

#include <cstdint>

#include "kernel.h"

namespace uvafd {

// How many provider layers find_base_socket follows before it gives up (a chain that long, or
// one that loops, is a provider that lies).
constexpr int kMaxProviderLayers = 16;

// SIO_BASE_HANDLE, and where a provider intercepts it (Komodia-based LSPs do, against
// Microsoft's rules), the next layer down from SIO_BSP_HANDLE_POLL, SIO_BSP_HANDLE_SELECT or
// SIO_BSP_HANDLE, asked again with SIO_BASE_HANDLE, until one layer answers it. A layer that
// names itself, or one already visited, ends the walk: Komodia answers the select ioctl with
// the socket it was asked about. Fails with SIO_BASE_HANDLE's first error (an unspecific one
// reads as UVAFD_ENOTSOCK). `kernel_calls` counts what it asked.
int find_base_socket(Kernel& kernel, KHandle socket, KHandle* base, uint64_t* kernel_calls);

}  // namespace uvafd
