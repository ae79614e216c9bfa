// The C ABI over Reactor: argument checks, the kernel's ownership, and nothing else.
//
// No C++ exception may cross into C (it would terminate, or unwind through frames that cannot
// be unwound). The reactor's calls cannot throw by construction (reserve.h: they fail with
// UVAFD_ENOMEM and no effect); the function-try-blocks below are the last resort for what a
// future change might let through, and map it to UVAFD_ENOMEM, the only failure C++ code here
// can raise (std::bad_alloc, or length_error for an impossible size).
#include <memory>
#include <new>

#include "nt_kernel.h"
#include "reactor.h"
#include "uvafd/reactor.h"

struct uvafd_reactor {
  std::unique_ptr<uvafd::Kernel> kernel;
  std::unique_ptr<uvafd::Reactor> reactor;
};

extern "C" {

int uvafd_reactor_create(const uvafd_options* options, uvafd_reactor** out) try {
  if (!out) return UVAFD_EINVAL;
  *out = nullptr;
  auto r = std::unique_ptr<uvafd_reactor>(new (std::nothrow) uvafd_reactor);
  if (!r) return UVAFD_ENOMEM;
  int err = 0;
  r->kernel = uvafd::make_nt_kernel(&err);
  if (!r->kernel) return err;
  err = uvafd::Reactor::create(*r->kernel, options, &r->reactor);
  if (err) return err;
  *out = r.release();
  return 0;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_poll_open(uvafd_reactor* r, uintptr_t socket, void* user_data, uvafd_handle* out) try {
  return r ? r->reactor->poll_open(socket, user_data, out) : UVAFD_EINVAL;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_poll_set_interest(uvafd_reactor* r, uvafd_handle h, uint32_t events) try {
  return r ? r->reactor->poll_set_interest(h, events) : UVAFD_EINVAL;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_wakeup_open(uvafd_reactor* r, void* user_data, uvafd_handle* out) try {
  return r ? r->reactor->wakeup_open(user_data, out) : UVAFD_EINVAL;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_wake(uvafd_reactor* r, uvafd_handle h) try {
  return r ? r->reactor->wake(h) : UVAFD_EINVAL;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_source_open(uvafd_reactor* r, uvafd_source* source) try {
  return r ? r->reactor->source_open(source) : UVAFD_EINVAL;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_source_wake(uvafd_reactor* r, uvafd_source* source) try {
  return r ? r->reactor->source_wake(source) : UVAFD_EINVAL;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_source_close(uvafd_reactor* r, uvafd_source* source) try {
  return r ? r->reactor->source_close(source) : UVAFD_EINVAL;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_source_rearm(uvafd_reactor* r, uvafd_source* source) try {
  return r ? r->reactor->source_rearm(source) : UVAFD_EINVAL;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_handle_close(uvafd_reactor* r, uvafd_handle h) try {
  return r ? r->reactor->handle_close(h) : UVAFD_EINVAL;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_reactor_wait(uvafd_reactor* r, int64_t timeout_ms, uvafd_event_cb cb, void* arg) try {
  return r ? r->reactor->wait(timeout_ms, cb, arg) : UVAFD_EINVAL;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_poll_arm(uvafd_reactor* r, uvafd_handle h) try {
  return r ? r->reactor->poll_arm(h) : UVAFD_EINVAL;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_reactor_arm(uvafd_reactor* r) try {
  return r ? r->reactor->arm_all() : UVAFD_EINVAL;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_reactor_close(uvafd_reactor* r) try {
  return r ? r->reactor->close() : UVAFD_EINVAL;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_reactor_destroy(uvafd_reactor* r) try {
  if (!r) return UVAFD_EINVAL;
  if (r->reactor->in_callback()) return UVAFD_EBUSY;
  r->reactor.reset();  // closes (drains) first
  delete r;
  return 0;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_reactor_port(const uvafd_reactor* r, void** port) try {
  if (!r || !port) return UVAFD_EINVAL;
  if (r->reactor->closed()) return UVAFD_EBADF;
  *port = reinterpret_cast<void*>(r->reactor->port());
  return 0;
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_reactor_set_port_hooks(uvafd_reactor* r, const uvafd_port_hooks* hooks) try {
  if (!r || (hooks && !hooks->foreign_packet && !hooks->dequeued)) return UVAFD_EINVAL;
  return r->reactor->set_port_hooks(hooks);
} catch (...) {
  return UVAFD_ENOMEM;
}

int uvafd_reactor_stats(const uvafd_reactor* r, uvafd_stats* out) try {
  if (!r || !out) return UVAFD_EINVAL;
  *out = r->reactor->stats();
  return 0;
} catch (...) {
  return UVAFD_ENOMEM;
}

}  // extern "C"
