// The reactor's only view of the operating system. Two implementations: NtKernel (ntdll and
// winsock, Windows only) and SimKernel (deterministic, portable, for tests). The structures
// below are layout-compatible with their NT counterparts so that NtKernel passes them straight
// to ntdll, and SimKernel writes them exactly where the real kernel would.
#pragma once

#include <cstddef>
#include <cstdint>

namespace uvafd {

using NtStatus = int32_t;
using KHandle = uintptr_t;  // HANDLE or SOCKET value: never an identity, only an address

constexpr NtStatus kStatusSuccess = 0;
constexpr NtStatus kStatusTimeout = 0x00000102;
constexpr NtStatus kStatusPending = 0x00000103;
constexpr NtStatus kStatusInvalidHandle = static_cast<NtStatus>(0xC0000008);
constexpr NtStatus kStatusNoMemory = static_cast<NtStatus>(0xC0000017);
constexpr NtStatus kStatusObjectTypeMismatch = static_cast<NtStatus>(0xC0000024);
constexpr NtStatus kStatusCancelled = static_cast<NtStatus>(0xC0000120);
constexpr NtStatus kStatusNotFound = static_cast<NtStatus>(0xC0000225);

// NT_ERROR: a synchronous error means no packet will ever be queued for the request.
constexpr bool nt_error(NtStatus s) { return (static_cast<uint32_t>(s) >> 30) == 3; }

// IO_STATUS_BLOCK.
struct IoStatusBlock {
  union {
    NtStatus status;
    void* pointer;
  };
  uintptr_t information;
};

// AFD_POLL_HANDLE_INFO / AFD_POLL_INFO with one handle.
struct AfdPollHandleInfo {
  KHandle handle;
  uint32_t events;
  NtStatus status;
};
struct AfdPollInfo {
  int64_t timeout;
  uint32_t number_of_handles;
  uint32_t exclusive;
  AfdPollHandleInfo handles[1];
};

// FILE_IO_COMPLETION_INFORMATION: one dequeued packet.
struct Completion {
  uintptr_t key;     // KeyContext: per associated handle (or given to post_packet)
  void* context;     // ApcContext: per request
  NtStatus status;   // copy of the request's IO_STATUS_BLOCK
  uintptr_t information;
};

// Completion keys: they tell the reactor's kinds of packet apart; the request is named by its
// context, and ownership by the context alone. Odd on purpose: handle values are multiples of 4
// and other libraries key by handle value (libuv: a SOCKET) or by pointer, so no packet of
// theirs can carry one of these keys by accident (0xAFD0 was a valid SOCKET value).
constexpr uintptr_t kKeyAfd = 0xAFD1;
constexpr uintptr_t kKeyWake = 0x3A6F;

// Winsock ioctls that answer a SOCKET (mswsock.h): _WSAIOR(IOC_WS2, n).
constexpr uint32_t kSioBspHandle = 0x4800001B;
constexpr uint32_t kSioBspHandleSelect = 0x4800001C;
constexpr uint32_t kSioBspHandlePoll = 0x4800001D;
constexpr uint32_t kSioBaseHandle = 0x48000022;

// A wait in milliseconds as NT's relative timeout (negative, in 100 ns units). False means
// "wait forever": a negative wait, and any wait too long for the conversion (INT64_MAX as
// "forever" included), which would otherwise overflow into a time in the past and spin.
constexpr int64_t kMaxFiniteWaitMs = INT64_MAX / 10000;
constexpr bool nt_relative_timeout(int64_t timeout_ms, int64_t* relative_100ns) {
  if (timeout_ms < 0 || timeout_ms > kMaxFiniteWaitMs) return false;
  *relative_100ns = -timeout_ms * 10000;
  return true;
}

class Kernel {
 public:
  virtual ~Kernel() = default;

  virtual NtStatus create_port(KHandle* port) = 0;
  // Opens a \Device\Afd helper handle and associates it with the port under `key`.
  virtual NtStatus open_afd_helper(KHandle port, uintptr_t key, KHandle* helper) = 0;
  // IOCTL_AFD_POLL. `info` is both input and output and, like `iosb`, belongs to the kernel
  // until the completion packet is dequeued, unless the call returns an NT error (then no packet
  // is queued and neither is written).
  virtual NtStatus submit_poll(KHandle helper, void* context, IoStatusBlock* iosb,
                               AfdPollInfo* info) = 0;
  // NtCancelIoFileEx by IO_STATUS_BLOCK address. The packet still arrives (STATUS_CANCELLED or
  // the result it already had). kStatusNotFound: it had completed already.
  virtual NtStatus cancel_request(KHandle helper, IoStatusBlock* iosb) = 0;
  // NtSetIoCompletion. Thread-safe.
  virtual NtStatus post_packet(KHandle port, uintptr_t key, void* context, NtStatus status,
                               uintptr_t information) = 0;
  // NtRemoveIoCompletionEx. Waits forever when nt_relative_timeout() says so. Returns
  // kStatusTimeout with *count == 0 when nothing came.
  virtual NtStatus dequeue_batch(KHandle port, Completion* out, uint32_t capacity,
                                 uint32_t* count, int64_t timeout_ms) = 0;
  virtual NtStatus close_handle(KHandle handle) = 0;

  // Sockets. The walk through layered providers to the base socket is portable code
  // (find_base_socket, base_socket.h); the kernel only answers one question at a time.
  // Whether the value names a socket at all: 0, or a UVAFD_E* error (UVAFD_ENOTSOCK).
  virtual int probe_socket(KHandle socket) = 0;
  // WSAIoctl(socket, code) for a code that answers a SOCKET (kSioBaseHandle, kSioBsp*): 0 and
  // *out, or a UVAFD_E* error (UVAFD_ENOTSOCK for WSAENOTSOCK).
  virtual int socket_ioctl(KHandle socket, uint32_t code, KHandle* out) = 0;

  // Object identity, for one socket reachable under two handle values (DuplicateHandle,
  // WSADuplicateSocket). 1: both name one object; 0: they do not; < 0: cannot tell (the system
  // has no CompareObjectHandles, before Windows 10, or a handle is invalid).
  virtual bool can_compare_objects() = 0;
  virtual int same_object(KHandle a, KHandle b) = 0;
  // How many handles name h's object, in every process; 0 when unknown. 1 means no other handle
  // to it exists anywhere, so it cannot be the same object as any other handle we hold.
  virtual uint32_t handle_count(KHandle h) = 0;

  // Maps a request's final status to a UVAFD_E* error.
  virtual int error_from_status(NtStatus status) = 0;

  // How many low bits of a posted packet's Information come back: a ULONG_PTR, 64 on x64 and
  // 32 on x86. The reactor compares a wake's generation that far.
  virtual unsigned information_bits() { return unsigned(sizeof(uintptr_t) * 8); }
};

}  // namespace uvafd
