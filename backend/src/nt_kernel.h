// NtKernel: the Kernel interface on ntdll and winsock. The only file in uvafd that calls an NT
// or winsock function; the entry points are resolved once, when the first NtKernel is made.
#pragma once

#include <memory>

#include "kernel.h"

namespace uvafd {

// Returns nullptr (and sets *error) when ntdll lacks an entry point we need.
std::unique_ptr<Kernel> make_nt_kernel(int* error);

}  // namespace uvafd
