// libuv's error vocabulary: names and messages of the UV_E* codes, and the translation of
// Win32 / Winsock error numbers into them.
//
// The name/message table is libuv's public UV_ERRNO_MAP macro (uv.h), so the strings are exactly
// the ones libuv programs see. Codes outside the table are formatted as
// "Unknown system error <code>", as libuv documents.
#include "uv.h"  // brings in winsock2.h and windows.h

#include <cstddef>
#include <cstdio>
#include <cstring>

// Not in every mingw-w64 winerror.h ("The requested operation requires elevation").
#ifndef ERROR_ELEVATION_REQUIRED
#define ERROR_ELEVATION_REQUIRED 740L
#endif

namespace {

// Name and message of a code in libuv's table, or nullptr for codes it does not know.
const char* known_name(int err) {
#define UVAFD_NAME_CASE(name, message) \
  case UV_##name:                      \
    return #name;
  switch (err) {
    UV_ERRNO_MAP(UVAFD_NAME_CASE)
    default:
      return nullptr;
  }
#undef UVAFD_NAME_CASE
}

const char* known_message(int err) {
#define UVAFD_MESSAGE_CASE(name, message) \
  case UV_##name:                         \
    return message;
  switch (err) {
    UV_ERRNO_MAP(UVAFD_MESSAGE_CASE)
    default:
      return nullptr;
  }
#undef UVAFD_MESSAGE_CASE
}

// Copies text into buf (buflen bytes), truncating and always NUL-terminating when buflen > 0.
char* copy_truncated(char* buf, size_t buflen, const char* text) {
  if (buf == nullptr || buflen == 0) return buf;
  size_t n = std::strlen(text);
  if (n >= buflen) n = buflen - 1;
  std::memcpy(buf, text, n);
  buf[n] = '\0';
  return buf;
}

char* format_unknown(char* buf, size_t buflen, int err) {
  if (buf == nullptr || buflen == 0) return buf;
  std::snprintf(buf, buflen, "Unknown system error %d", err);
  return buf;
}

// uv_err_name() and uv_strerror() must return a string for codes outside the table too. libuv
// builds it with its allocator and never frees it (one small leak per call). We do not leak:
// the text goes into a per-thread ring of buffers instead. Each buffer holds a fixed-size string,
// so the returned pointer stays valid on the calling thread for the next kUnknownSlots - 1 such
// calls (so `printf("%s %s", uv_err_name(a), uv_err_name(b))` works) and until the thread exits.
// Callers that need the text for longer should use the _r forms, as libuv recommends anyway.
constexpr int kUnknownSlots = 8;
constexpr size_t kUnknownLen = 40;  // "Unknown system error -2147483648" is 32 chars

const char* unknown_text(int err) {
  thread_local char ring[kUnknownSlots][kUnknownLen];
  thread_local unsigned next = 0;
  char* slot = ring[next];
  next = (next + 1) % kUnknownSlots;
  return format_unknown(slot, kUnknownLen, err);
}

}  // namespace

extern "C" {

const char* uv_err_name(int err) {
  const char* name = known_name(err);
  return name != nullptr ? name : unknown_text(err);
}

char* uv_err_name_r(int err, char* buf, size_t buflen) {
  const char* name = known_name(err);
  if (name == nullptr) return format_unknown(buf, buflen, err);
  return copy_truncated(buf, buflen, name);
}

const char* uv_strerror(int err) {
  const char* message = known_message(err);
  return message != nullptr ? message : unknown_text(err);
}

char* uv_strerror_r(int err, char* buf, size_t buflen) {
  const char* message = known_message(err);
  if (message == nullptr) return format_unknown(buf, buflen, err);
  return copy_truncated(buf, buflen, message);
}

// Win32 (GetLastError) and Winsock (WSAGetLastError) numbers to libuv codes. Zero and negative
// values are returned unchanged: negative ones already are libuv codes. Every code libuv 1.44.2
// translates is translated the same way here (some choices are libuv's own and deliberately kept,
// e.g. ERROR_ACCESS_DENIED is UV_EPERM, WSAEINTR is UV_ECANCELED, ERROR_INVALID_FUNCTION is
// UV_EISDIR). The few extra cases marked "(uvafd)" are codes libuv leaves as UV_UNKNOWN although
// libuv has an exactly matching code.
int uv_translate_sys_error(int sys_errno) {
  if (sys_errno <= 0) return sys_errno;

  switch (sys_errno) {
    // Argument lists, access and permissions.
    case ERROR_META_EXPANSION_TOO_LONG:
      return UV_E2BIG;
    case ERROR_NOACCESS:
    case ERROR_ELEVATION_REQUIRED:
    case ERROR_CANT_ACCESS_FILE:
    case WSAEACCES:
      return UV_EACCES;
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
      return UV_EPERM;

    // Addresses and address families.
    case ERROR_ADDRESS_ALREADY_ASSOCIATED:
    case WSAEADDRINUSE:
      return UV_EADDRINUSE;
    case WSAEADDRNOTAVAIL:
      return UV_EADDRNOTAVAIL;
    case WSAEAFNOSUPPORT:
      return UV_EAFNOSUPPORT;
    case WSAEDESTADDRREQ:  // (uvafd)
      return UV_EDESTADDRREQ;

    // Would block, in progress, busy.
    case WSAEWOULDBLOCK:
      return UV_EAGAIN;
    case WSAEALREADY:
      return UV_EALREADY;
    case ERROR_LOCK_VIOLATION:
    case ERROR_PIPE_BUSY:
    case ERROR_SHARING_VIOLATION:
      return UV_EBUSY;

    // Handles.
    case ERROR_INVALID_FLAGS:
    case ERROR_INVALID_HANDLE:
    case WSAEBADF:  // (uvafd)
      return UV_EBADF;

    // Cancellation and interruption.
    case ERROR_OPERATION_ABORTED:
    case WSAEINTR:
      return UV_ECANCELED;

    // Character sets.
    case ERROR_NO_UNICODE_TRANSLATION:
      return UV_ECHARSET;

    // Connections.
    case ERROR_CONNECTION_ABORTED:
    case WSAECONNABORTED:
      return UV_ECONNABORTED;
    case ERROR_CONNECTION_REFUSED:
    case WSAECONNREFUSED:
      return UV_ECONNREFUSED;
    case ERROR_NETNAME_DELETED:
    case WSAECONNRESET:
      return UV_ECONNRESET;
    case WSAEISCONN:
      return UV_EISCONN;
    case ERROR_NOT_CONNECTED:
    case WSAENOTCONN:
      return UV_ENOTCONN;

    // Existence.
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:
      return UV_EEXIST;
    case ERROR_BAD_PATHNAME:
    case ERROR_DIRECTORY:
    case ERROR_ENVVAR_NOT_FOUND:
    case ERROR_FILE_NOT_FOUND:
    case ERROR_INVALID_NAME:
    case ERROR_INVALID_DRIVE:
    case ERROR_INVALID_REPARSE_DATA:
    case ERROR_MOD_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case WSAHOST_NOT_FOUND:
    case WSANO_DATA:
      return UV_ENOENT;
    case ERROR_DIR_NOT_EMPTY:
      return UV_ENOTEMPTY;

    // Bad memory / buffers.
    case ERROR_BUFFER_OVERFLOW:
    case WSAEFAULT:
      return UV_EFAULT;

    // Reachability.
    case ERROR_HOST_UNREACHABLE:
    case WSAEHOSTUNREACH:
      return UV_EHOSTUNREACH;
    case WSAEHOSTDOWN:  // (uvafd)
      return UV_EHOSTDOWN;
    case ERROR_NETWORK_UNREACHABLE:
    case WSAENETUNREACH:
      return UV_ENETUNREACH;
    case WSAENETDOWN:  // (uvafd)
      return UV_ENETDOWN;

    // Invalid arguments.
    case ERROR_INSUFFICIENT_BUFFER:
    case ERROR_INVALID_DATA:
    case ERROR_INVALID_PARAMETER:
    case ERROR_SYMLINK_NOT_SUPPORTED:
    case WSAEINVAL:
    case WSAEPFNOSUPPORT:
      return UV_EINVAL;

    // Device / media I/O errors.
    case ERROR_BEGINNING_OF_MEDIA:
    case ERROR_BUS_RESET:
    case ERROR_CRC:
    case ERROR_DEVICE_DOOR_OPEN:
    case ERROR_DEVICE_REQUIRES_CLEANING:
    case ERROR_DISK_CORRUPT:
    case ERROR_EOM_OVERFLOW:
    case ERROR_FILEMARK_DETECTED:
    case ERROR_GEN_FAILURE:
    case ERROR_INVALID_BLOCK_LENGTH:
    case ERROR_IO_DEVICE:
    case ERROR_NO_DATA_DETECTED:
    case ERROR_NO_SIGNAL_SENT:
    case ERROR_OPEN_FAILED:
    case ERROR_SETMARK_DETECTED:
    case ERROR_SIGNAL_REFUSED:
      return UV_EIO;

    // Names and links.
    case ERROR_CANT_RESOLVE_FILENAME:
      return UV_ELOOP;
    case ERROR_FILENAME_EXCED_RANGE:
    case WSAENAMETOOLONG:  // (uvafd)
      return UV_ENAMETOOLONG;
    case ERROR_TOO_MANY_LINKS:  // (uvafd)
      return UV_EMLINK;

    // Resource exhaustion.
    case ERROR_TOO_MANY_OPEN_FILES:
    case WSAEMFILE:
      return UV_EMFILE;
    case WSAENOBUFS:
      return UV_ENOBUFS;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
      return UV_ENOMEM;
    case ERROR_CANNOT_MAKE:
    case ERROR_DISK_FULL:
    case ERROR_EA_TABLE_FULL:
    case ERROR_END_OF_MEDIA:
    case ERROR_HANDLE_DISK_FULL:
      return UV_ENOSPC;

    // Sockets and protocols.
    case WSAEMSGSIZE:
      return UV_EMSGSIZE;
    case WSAENOTSOCK:
      return UV_ENOTSOCK;
    case WSAEPROTONOSUPPORT:
      return UV_EPROTONOSUPPORT;
    case WSAEPROTOTYPE:  // (uvafd)
      return UV_EPROTOTYPE;
    case WSAENOPROTOOPT:  // (uvafd)
      return UV_ENOPROTOOPT;
    case WSAESOCKTNOSUPPORT:
      return UV_ESOCKTNOSUPPORT;
    case ERROR_NOT_SUPPORTED:
    case WSAEOPNOTSUPP:  // (uvafd)
      return UV_ENOTSUP;

    // Pipes and end of stream.
    case ERROR_BROKEN_PIPE:
    case ERROR_HANDLE_EOF:  // (uvafd)
      return UV_EOF;
    case ERROR_BAD_PIPE:
    case ERROR_NO_DATA:
    case ERROR_PIPE_NOT_CONNECTED:
    case WSAESHUTDOWN:
      return UV_EPIPE;

    // File systems.
    case ERROR_WRITE_PROTECT:
      return UV_EROFS;
    case ERROR_NOT_SAME_DEVICE:
      return UV_EXDEV;
    case ERROR_INVALID_FUNCTION:
      return UV_EISDIR;

    // Timeouts.
    case ERROR_SEM_TIMEOUT:
    case WSAETIMEDOUT:
    case ERROR_TIMEOUT:  // (uvafd)
    case WAIT_TIMEOUT:   // (uvafd)
      return UV_ETIMEDOUT;

    default:
      return UV_UNKNOWN;
  }
}

}  // extern "C"
