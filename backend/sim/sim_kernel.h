// SimKernel: a deterministic stand-in for ntdll + AFD, for tests on any platform. It keeps the
// rules the reactor depends on, and the ones that bite when broken:
//  - handle values are the lowest free multiple of 4, handed back at once (reuse is the norm);
//  - a poll completes at once when its socket is ready, else waits; cancel completes it with
//    STATUS_CANCELLED; closing the socket's last handle completes it with LOCAL_CLOSE;
//  - completing a request writes its IO_STATUS_BLOCK and AFD_POLL_INFO into the caller's memory,
//    exactly as the kernel does, so an early free is a use-after-free under ASan;
//  - a synchronous error queues no packet and writes nothing;
//  - a second request on one socket is accepted (as Wine does) but counted as a violation,
//    also when it comes through another handle to the same socket (socket_duplicate);
//  - layered providers: each socket handle answers SIO_BASE_HANDLE and the SIO_BSP_HANDLE*
//    ioctls with itself unless told otherwise (socket_set_ioctl), so a provider chain, a loop
//    or a provider that names itself can be built;
//  - NtSetIoCompletion's Information can be cut to 32 bits, as a ULONG_PTR is on x86.
// Packets can be held "in the kernel" and released later, in order or shuffled by a seeded
// generator, to reproduce late and reordered completions.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <vector>

#include "kernel.h"

namespace uvafd {

class SimKernel final : public Kernel {
 public:
  struct Counters {
    uint64_t submits = 0, sync_failures = 0, cancels = 0, cancels_not_found = 0;
    uint64_t completions = 0, posts = 0, dequeued = 0;
    uint64_t second_poll_violations = 0;  // a request armed while another was pending
    uint64_t max_pending_per_socket = 0;
    uint64_t unowned_writes = 0;          // completion writes the owner check refused
    uint64_t handles_reused = 0;          // socket_create returned a value used before
    uint64_t socket_ioctls = 0, object_queries = 0;  // socket_ioctl; handle_count + same_object
  };

  explicit SimKernel(uint64_t seed = 1);

  // --- Test control (thread-safe).
  KHandle socket_create();
  void socket_close(KHandle socket);                 // LOCAL_CLOSE for its pending polls
  void socket_set_ready(KHandle socket, uint32_t afd_events);  // replaces the readiness bits
  void socket_add_ready(KHandle socket, uint32_t afd_events);
  void socket_clear_ready(KHandle socket, uint32_t afd_events);
  bool socket_is_open(KHandle socket);
  KHandle file_create();  // a handle that is not a socket
  // A second handle to the same socket (DuplicateHandle, WSADuplicateSocket). The socket
  // closes, with LOCAL_CLOSE for its polls, when its last handle is closed.
  KHandle socket_duplicate(KHandle socket);
  // What socket_ioctl(socket, code) answers from now on: `error` (a UVAFD_E* value), or 0 and
  // `answer`. Forgotten when the handle is closed.
  void socket_set_ioctl(KHandle socket, uint32_t code, int error, KHandle answer);
  // Information words of posted packets keep only their low `bits` (32: a ULONG_PTR on x86).
  void set_information_bits(unsigned bits);
  // false: like Windows before 10, which has no CompareObjectHandles.
  void set_can_compare_objects(bool can);

  void set_hold_packets(bool hold);               // keep new packets from the port queue
  // Cancellation takes effect later (at complete_cancelled), as when the IRP's cancel routine
  // runs on another processor: the request stays pending in the meantime.
  void set_async_cancel(bool async);
  size_t complete_cancelled(size_t max);
  size_t release_packets(size_t max, bool shuffle);  // move held ones to the port queue
  size_t held_packets();

  void fail_next_submit(NtStatus status);
  void fail_next_cancel(NtStatus status);
  void fail_next_post(NtStatus status);
  // The next dequeue_batch returns `status` at once and dequeues nothing.
  void fail_next_dequeue(NtStatus status);
  // The next poll that completes with events completes with `status` instead (no events): a
  // request that failed in the kernel after it was submitted, which Wine cannot force.
  void fail_next_completion(NtStatus status);
  // Called with the request's context before every completion write; false = the memory is
  // not owned by an in-flight request any more (counted in unowned_writes; still written, as
  // the real kernel would, so ASan sees it).
  void set_owner_check(std::function<bool(void* context)> check);

  Counters counters();
  size_t pending_requests();
  size_t pending_on(KHandle socket);
  size_t queued_packets();
  size_t packets_for(void* context);  // queued or held
  uint32_t socket_ready(KHandle socket);

  // --- Kernel
  NtStatus create_port(KHandle* port) override;
  NtStatus open_afd_helper(KHandle port, uintptr_t key, KHandle* helper) override;
  NtStatus submit_poll(KHandle helper, void* context, IoStatusBlock* iosb,
                       AfdPollInfo* info) override;
  NtStatus cancel_request(KHandle helper, IoStatusBlock* iosb) override;
  NtStatus post_packet(KHandle port, uintptr_t key, void* context, NtStatus status,
                       uintptr_t information) override;
  NtStatus dequeue_batch(KHandle port, Completion* out, uint32_t capacity, uint32_t* count,
                         int64_t timeout_ms) override;
  NtStatus close_handle(KHandle handle) override;
  int probe_socket(KHandle socket) override;
  int socket_ioctl(KHandle socket, uint32_t code, KHandle* out) override;
  bool can_compare_objects() override;
  int same_object(KHandle a, KHandle b) override;
  uint32_t handle_count(KHandle h) override;
  int error_from_status(NtStatus status) override;
  unsigned information_bits() override;

 private:
  enum class Kind { Port, Helper, Socket, File };
  struct Object {
    Kind kind;
    uint64_t socket = 0;   // sockets: which socket this handle names (several may)
    KHandle port = 0;      // helpers: associated port
    uintptr_t key = 0;     // helpers: completion key
  };
  struct Socket {
    uint32_t ready = 0;    // AFD readiness bits
    uint32_t handles = 0;  // handles naming it; it closes with the last
  };
  struct IoctlAnswer {
    int error;
    KHandle answer;
  };
  struct Request {
    KHandle helper;
    KHandle socket;    // the handle value the poll named
    uint64_t object;   // the socket it names
    uint32_t mask;
    void* context;
    IoStatusBlock* iosb;
    AfdPollInfo* info;
    bool cancel_requested = false;
  };

  KHandle allocate_handle(Kind kind);
  void complete_locked(size_t index, NtStatus status, uint32_t events);
  void complete_ready_locked(uint64_t socket);
  Socket* socket_of_locked(KHandle handle);  // nullptr unless an open socket handle
  void enqueue_locked(const Completion& c);

  std::mutex mu_;
  std::condition_variable cv_;
  std::mt19937_64 rng_;
  std::map<KHandle, Object> objects_;
  std::map<uint64_t, Socket> sockets_;
  uint64_t next_socket_ = 1;
  std::map<std::pair<KHandle, uint32_t>, IoctlAnswer> ioctls_;
  unsigned information_bits_ = 64;
  bool can_compare_ = true;
  std::set<KHandle> ever_used_;
  std::vector<Request> pending_;
  std::deque<Completion> held_;
  std::deque<Completion> queue_;
  bool hold_ = false;
  bool async_cancel_ = false;
  NtStatus fail_submit_ = 0, fail_cancel_ = 0, fail_post_ = 0, fail_completion_ = 0;
  NtStatus fail_dequeue_ = 0;
  std::function<bool(void*)> owner_check_;
  Counters c_;
};

}  // namespace uvafd
