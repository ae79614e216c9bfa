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
  // NtRemoveIoCompletionEx. timeout_ms < 0 waits forever. Returns kStatusTimeout with
  // *count == 0 when nothing came.
  virtual NtStatus dequeue_batch(KHandle port, Completion* out, uint32_t capacity,
                                 uint32_t* count, int64_t timeout_ms) = 0;
  virtual NtStatus close_handle(KHandle handle) = 0;

  // SIO_BASE_HANDLE (falling back to SIO_BSP_HANDLE_POLL). Returns 0 or a UVAFD_E* error.
  virtual int base_socket(KHandle socket, KHandle* base) = 0;
  // Maps a request's final status to a UVAFD_E* error.
  virtual int error_from_status(NtStatus status) = 0;
};

}  // namespace uvafd
