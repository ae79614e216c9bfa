// Test builds only: make_nt_kernel for the C API compiled natively, on the simulated kernel.
// Every reactor made through uvafd_reactor_create shares one SimKernel (sim_world_kernel()), so
// a test can make sockets for it. The kernel's own allocations are never failed: the real
// kernel's memory is not operator new's, and what it does when short of memory is an NT status,
// which the SimKernel's fail_next_* switches model.
#include <memory>
#include <new>

#include "fail_alloc.h"
#include "nt_kernel.h"
#include "sim_kernel.h"
#include "uvafd/reactor.h"

namespace uvafd_test {

uvafd::SimKernel& sim_world_kernel() {
  static uvafd::SimKernel* kernel = [] {
    AllocationFailuresPaused paused;
    return new uvafd::SimKernel(17);
  }();
  return *kernel;
}

}  // namespace uvafd_test

namespace uvafd {
namespace {

using uvafd_test::AllocationFailuresPaused;

class PausedKernel final : public Kernel {
 public:
  explicit PausedKernel(SimKernel& k) : k_(k) {}
  NtStatus create_port(KHandle* port) override {
    AllocationFailuresPaused p;
    return k_.create_port(port);
  }
  NtStatus open_afd_helper(KHandle port, uintptr_t key, KHandle* helper) override {
    AllocationFailuresPaused p;
    return k_.open_afd_helper(port, key, helper);
  }
  NtStatus submit_poll(KHandle helper, void* context, IoStatusBlock* iosb,
                       AfdPollInfo* info) override {
    AllocationFailuresPaused p;
    return k_.submit_poll(helper, context, iosb, info);
  }
  NtStatus cancel_request(KHandle helper, IoStatusBlock* iosb) override {
    AllocationFailuresPaused p;
    return k_.cancel_request(helper, iosb);
  }
  NtStatus post_packet(KHandle port, uintptr_t key, void* context, NtStatus status,
                       uintptr_t information) override {
    AllocationFailuresPaused p;
    return k_.post_packet(port, key, context, status, information);
  }
  NtStatus dequeue_batch(KHandle port, Completion* out, uint32_t capacity, uint32_t* count,
                         int64_t timeout_ms) override {
    AllocationFailuresPaused p;
    return k_.dequeue_batch(port, out, capacity, count, timeout_ms);
  }
  NtStatus close_handle(KHandle handle) override {
    AllocationFailuresPaused p;
    return k_.close_handle(handle);
  }
  int probe_socket(KHandle socket) override {
    AllocationFailuresPaused p;
    return k_.probe_socket(socket);
  }
  int socket_ioctl(KHandle socket, uint32_t code, KHandle* out) override {
    AllocationFailuresPaused p;
    return k_.socket_ioctl(socket, code, out);
  }
  bool can_compare_objects() override { return k_.can_compare_objects(); }
  int same_object(KHandle a, KHandle b) override {
    AllocationFailuresPaused p;
    return k_.same_object(a, b);
  }
  uint32_t handle_count(KHandle h) override {
    AllocationFailuresPaused p;
    return k_.handle_count(h);
  }
  int error_from_status(NtStatus status) override { return k_.error_from_status(status); }
  unsigned information_bits() override { return k_.information_bits(); }

 private:
  SimKernel& k_;
};

}  // namespace

std::unique_ptr<Kernel> make_nt_kernel(int* error) {
  auto& sim = uvafd_test::sim_world_kernel();
  std::unique_ptr<Kernel> k(new (std::nothrow) PausedKernel(sim));
  *error = k ? 0 : UVAFD_ENOMEM;
  return k;
}

}  // namespace uvafd
