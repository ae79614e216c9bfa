// Win32 error -> UVAFD_E* mapping, shared by the kernels.
#pragma once

#include <cstdint>

namespace uvafd {

int error_from_win32(uint32_t win32_error);

}  // namespace uvafd
