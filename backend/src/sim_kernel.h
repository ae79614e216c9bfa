// SimKernel: a deterministic stand-in for ntdll + AFD, for tests on any platform. It keeps the
// rules the reactor depends on, and the ones that bite when broken:
//  - handle values are the lowest free multiple of 4, handed back at once (reuse is the norm);
//  - a poll completes at once when its socket is ready, else waits; cancel completes it with
//    STATUS_CANCELLED; closing the socket's last handle completes it with LOCAL_CLOSE;
//  - completing a request writes its IO_STATUS_BLOCK and AFD_POLL_INFO into the caller's memory,
//    exactly as the kernel does, so an early free is a use-after-free under ASan;
//  - a synchronous error queues no packet and writes nothing;
//  - a second request on one socket is accepted (as Wine does) but counted as a violation.
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
  int base_socket(KHandle socket, KHandle* base) override;
  int error_from_status(NtStatus status) override;

 private:
  enum class Kind { Port, Helper, Socket, File };
  struct Object {
    Kind kind;
    uint32_t ready = 0;    // sockets: AFD readiness bits
    KHandle port = 0;      // helpers: associated port
    uintptr_t key = 0;     // helpers: completion key
  };
  struct Request {
    KHandle helper;
    KHandle socket;
    uint32_t mask;
    void* context;
    IoStatusBlock* iosb;
    AfdPollInfo* info;
    bool cancel_requested = false;
  };

  KHandle allocate_handle(Kind kind);
  void complete_locked(size_t index, NtStatus status, uint32_t events);
  void complete_ready_locked(KHandle socket);
  void enqueue_locked(const Completion& c);

  std::mutex mu_;
  std::condition_variable cv_;
  std::mt19937_64 rng_;
  std::map<KHandle, Object> objects_;
  std::set<KHandle> ever_used_;
  std::vector<Request> pending_;
  std::deque<Completion> held_;
  std::deque<Completion> queue_;
  bool hold_ = false;
  bool async_cancel_ = false;
  NtStatus fail_submit_ = 0, fail_cancel_ = 0, fail_post_ = 0;
  std::function<bool(void*)> owner_check_;
  Counters c_;
};

}  // namespace uvafd
