#include "sockets.h"

#include <catch.hpp>

#include "nt_kernel.h"

namespace uvafd_test {


uvafd::NtStatus AuditKernel::submit_poll(uvafd::KHandle helper, void* context,
                                         uvafd::IoStatusBlock* iosb, uvafd::AfdPollInfo* info) {
  const uvafd::KHandle socket = info->handles[0].handle;
  ++submits_;
  // Count it before the call: the packet of an already-ready socket may be dequeued by the
  // time anything after the call runs (it cannot here: one thread), but order it like the
  // kernel does.
  size_t& n = per_socket_[socket];
  if (n > 0) ++violations_;
  ++n;
  max_per_socket_ = std::max(max_per_socket_, n);
  by_context_[context] = socket;
  const uvafd::NtStatus st = inner_->submit_poll(helper, context, iosb, info);
  if (uvafd::nt_error(st)) {  // no packet will come
    by_context_.erase(context);
    if (--per_socket_[socket] == 0) per_socket_.erase(socket);
  }
  return st;
}

uvafd::NtStatus AuditKernel::dequeue_batch(uvafd::KHandle port, uvafd::Completion* out,
                                           uint32_t capacity, uint32_t* count, int64_t timeout_ms) {
  const uvafd::NtStatus st = inner_->dequeue_batch(port, out, capacity, count, timeout_ms);
  if (st == 0) {
    for (uint32_t i = 0; i < *count; ++i) {
      if (out[i].key != uvafd::kKeyAfd) continue;
      auto it = by_context_.find(out[i].context);
      if (it == by_context_.end()) continue;
      if (--per_socket_[it->second] == 0) per_socket_.erase(it->second);
      by_context_.erase(it);
    }
  }
  return st;
}

RealReactor::RealReactor(uint32_t group_size) {
  winsock_init();
  int err = 0;
  auto nt = uvafd::make_nt_kernel(&err);
  REQUIRE(nt);
  auto audit_kernel = std::make_unique<AuditKernel>(std::move(nt));
  audit = audit_kernel.get();
  kernel = std::move(audit_kernel);
  uvafd_options o;
  uvafd_options_init(&o);
  o.helper_group_size = group_size;
  o.teardown_timeout_ms = 20000;
  REQUIRE(uvafd::Reactor::create(*kernel, &o, &reactor) == 0);
}

RealReactor::~RealReactor() {
  if (!reactor->closed()) reactor->close();
  const uvafd_stats s = reactor->stats();
  CHECK(s.live_states == 0);
  CHECK(s.zombies == 0);
  CHECK(s.requests_in_flight == 0);
  CHECK(s.leaked_on_teardown == 0);
  CHECK(s.invalid_transitions == 0);
  CHECK(s.double_poll_violations == 0);
  CHECK(s.misrouted == 0);
  CHECK(audit->second_poll_violations() == 0);
  CHECK(audit->in_flight() == 0);
}

int RealReactor::wait(int64_t ms) {
  return reactor->wait(ms, [](void* a, const uvafd_event* e) {
    static_cast<RealReactor*>(a)->events.push_back(*e);
  }, this);
}

bool RealReactor::wait_until(const std::function<bool()>& pred, int ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    wait(50);
  }
  return true;
}

uint32_t RealReactor::wait_event(uvafd_handle h, uint32_t bits, int ms) {
  uint32_t got = 0;
  events.clear();
  wait_until([&] {
    for (const uvafd_event& e : events)
      if (e.handle.slot == h.slot && e.handle.generation == h.generation && (e.events & bits))
        got = e.events;
    events.clear();
    return got != 0;
  }, ms);
  return got;
}

uvafd_handle RealReactor::open(SOCKET s, void* user_data) {
  uvafd_handle h{};
  REQUIRE(reactor->poll_open(static_cast<uvafd::KHandle>(s), user_data, &h) == 0);
  return h;
}

}  // namespace uvafd_test
