// Real loopback sockets for the Wine tests, and an auditing Kernel wrapper that counts AFD
// requests in flight per socket independently of the reactor's own bookkeeping (Wine forgives
// two polls on one socket, Windows does not, so the rule is checked here instead).
#pragma once

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "kernel.h"
#include "loopback.h"
#include "nt_kernel.h"
#include "reactor.h"
#include "uvafd/reactor.h"

namespace uvafd_test {


// Counts what the reactor asks of the kernel and what comes back, per socket.
class AuditKernel final : public uvafd::Kernel {
 public:
  explicit AuditKernel(std::unique_ptr<uvafd::Kernel> inner) : inner_(std::move(inner)) {}
  size_t max_in_flight_per_socket() const { return max_per_socket_; }
  size_t second_poll_violations() const { return violations_; }
  size_t in_flight() const { return by_context_.size(); }
  size_t submits() const { return submits_; }

  uvafd::NtStatus create_port(uvafd::KHandle* port) override { return inner_->create_port(port); }
  uvafd::NtStatus open_afd_helper(uvafd::KHandle port, uintptr_t key, uvafd::KHandle* h) override {
    return inner_->open_afd_helper(port, key, h);
  }
  uvafd::NtStatus submit_poll(uvafd::KHandle helper, void* context, uvafd::IoStatusBlock* iosb,
                              uvafd::AfdPollInfo* info) override;
  uvafd::NtStatus cancel_request(uvafd::KHandle helper, uvafd::IoStatusBlock* iosb) override {
    return inner_->cancel_request(helper, iosb);
  }
  uvafd::NtStatus post_packet(uvafd::KHandle port, uintptr_t key, void* context,
                              uvafd::NtStatus status, uintptr_t information) override {
    return inner_->post_packet(port, key, context, status, information);
  }
  uvafd::NtStatus dequeue_batch(uvafd::KHandle port, uvafd::Completion* out, uint32_t capacity,
                                uint32_t* count, int64_t timeout_ms) override;
  uvafd::NtStatus close_handle(uvafd::KHandle h) override { return inner_->close_handle(h); }
  int probe_socket(uvafd::KHandle s) override { return inner_->probe_socket(s); }
  int socket_ioctl(uvafd::KHandle s, uint32_t code, uvafd::KHandle* out) override {
    return inner_->socket_ioctl(s, code, out);
  }
  bool can_compare_objects() override { return inner_->can_compare_objects(); }
  int same_object(uvafd::KHandle a, uvafd::KHandle b) override {
    return inner_->same_object(a, b);
  }
  uint32_t handle_count(uvafd::KHandle h) override { return inner_->handle_count(h); }
  int error_from_status(uvafd::NtStatus st) override { return inner_->error_from_status(st); }
  unsigned information_bits() override { return inner_->information_bits(); }

 private:
  std::unique_ptr<uvafd::Kernel> inner_;
  std::map<void*, uvafd::KHandle> by_context_;
  std::map<uvafd::KHandle, size_t> per_socket_;
  size_t max_per_socket_ = 0, violations_ = 0, submits_ = 0;
};

// A reactor on the real kernel (through AuditKernel) with event recording.
struct RealReactor {
  AuditKernel* audit = nullptr;
  std::unique_ptr<uvafd::Kernel> kernel;
  std::unique_ptr<uvafd::Reactor> reactor;
  std::vector<uvafd_event> events;

  explicit RealReactor(uint32_t group_size = 32);
  ~RealReactor();
  int wait(int64_t ms);
  // Waits (50 ms slices) until pred() holds or `ms` passed; returns pred().
  bool wait_until(const std::function<bool()>& pred, int ms = 5000);
  // Waits until an event for h with any of `bits` arrives; returns its events (0 if none).
  uint32_t wait_event(uvafd_handle h, uint32_t bits, int ms = 5000);
  uvafd_handle open(SOCKET s, void* user_data = nullptr);
  uvafd_stats stats() const { return reactor->stats(); }
};

}  // namespace uvafd_test
