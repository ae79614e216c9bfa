#include "errors.h"

#include "uvafd/reactor.h"

namespace uvafd {

int error_from_win32(uint32_t e) {
  switch (e) {
    case 0: return 0;
    case 6:      // ERROR_INVALID_HANDLE
    case 10038:  // WSAENOTSOCK
      return e == 6 ? UVAFD_EBADF : UVAFD_ENOTSOCK;
    case 8:      // ERROR_NOT_ENOUGH_MEMORY
    case 14:     // ERROR_OUTOFMEMORY
    case 1450:   // ERROR_NO_SYSTEM_RESOURCES
    case 10055:  // WSAENOBUFS
      return UVAFD_ENOMEM;
    case 87:     // ERROR_INVALID_PARAMETER
    case 10022:  // WSAEINVAL
      return UVAFD_EINVAL;
    case 995:    // ERROR_OPERATION_ABORTED
      return UVAFD_ECANCELED;
    case 64:     // ERROR_NETNAME_DELETED
    case 10054:  // WSAECONNRESET
      return UVAFD_ECONNRESET;
    case 1236:   // ERROR_CONNECTION_ABORTED
    case 10053:  // WSAECONNABORTED
      return UVAFD_ECONNABORTED;
    case 121:    // ERROR_SEM_TIMEOUT
    case 258:    // WAIT_TIMEOUT
    case 10060:  // WSAETIMEDOUT
      return UVAFD_ETIMEDOUT;
    default:
      return UVAFD_EIO;
  }
}

}  // namespace uvafd

extern "C" const char* uvafd_strerror(int error) {
  switch (error) {
    case UVAFD_OK: return "success";
    case UVAFD_EIO: return "i/o error";
    case UVAFD_EBADF: return "bad handle: closed, stale or never opened";
    case UVAFD_ENOMEM: return "not enough memory";
    case UVAFD_EBUSY: return "resource busy (called from inside a callback)";
    case UVAFD_EEXIST: return "another registration of this socket already has interest";
    case UVAFD_EINVAL: return "invalid argument";
    case UVAFD_ENOTSOCK: return "not a socket";
    case UVAFD_ECONNABORTED: return "connection aborted";
    case UVAFD_ECONNRESET: return "connection reset by peer";
    case UVAFD_ETIMEDOUT: return "timed out";
    case UVAFD_ECANCELED: return "operation canceled";
    default: return "unknown error";
  }
}
