// find_base_socket through layered service providers, modelled in SimKernel: every branch of the
// walk, then the reactor polling the base socket it found.
#include <catch.hpp>

#include "afd_events.h"
#include "base_socket.h"
#include "sim_fixture.h"
#include "sim_kernel.h"

using namespace uvafd;
using namespace uvafd_test;

namespace {

constexpr KHandle kInvalid = ~KHandle(0);

struct Walk {
  int rc;
  KHandle base;
  uint64_t calls;
};

Walk walk(SimKernel& k, KHandle s) {
  Walk w{0, 0, 0};
  w.rc = find_base_socket(k, s, &w.base, &w.calls);
  return w;
}

// A provider socket that intercepts SIO_BASE_HANDLE (as Komodia's LSPs do).
void intercept_base(SimKernel& k, KHandle layer, int error = UVAFD_EINVAL) {
  k.socket_set_ioctl(layer, kSioBaseHandle, error, 0);
}

}  // namespace

TEST_CASE("base socket: a plain socket is its own base, asked once", "[base]") {
  SimKernel k;
  const KHandle s = k.socket_create();
  const Walk w = walk(k, s);
  CHECK(w.rc == 0);
  CHECK(w.base == s);
  CHECK(k.counters().socket_ioctls == 1);
  CHECK(w.calls == 2);  // the socket probe and SIO_BASE_HANDLE
}

TEST_CASE("base socket: not a socket, or SIO_BASE_HANDLE says so, is ENOTSOCK at once", "[base]") {
  SimKernel k;
  CHECK(walk(k, k.file_create()).rc == UVAFD_ENOTSOCK);
  CHECK(k.counters().socket_ioctls == 0);
  const KHandle s = k.socket_create();
  k.socket_set_ioctl(s, kSioBaseHandle, UVAFD_ENOTSOCK, 0);
  k.socket_set_ioctl(s, kSioBspHandlePoll, 0, k.socket_create());  // never asked
  CHECK(walk(k, s).rc == UVAFD_ENOTSOCK);
  CHECK(k.counters().socket_ioctls == 1);
}

TEST_CASE("base socket: each BSP ioctl leads one layer down, then SIO_BASE_HANDLE again",
          "[base]") {
  SimKernel k;
  const KHandle base = k.socket_create();
  SECTION("SIO_BSP_HANDLE_POLL") {
    const KHandle lsp = k.socket_create();
    intercept_base(k, lsp);
    k.socket_set_ioctl(lsp, kSioBspHandlePoll, 0, base);
    const Walk w = walk(k, lsp);
    CHECK(w.rc == 0);
    CHECK(w.base == base);
    CHECK(k.counters().socket_ioctls == 3);  // BASE (fails), BSP_POLL, BASE on the next layer
  }
  SECTION("SIO_BSP_HANDLE_SELECT when the poll ioctl fails") {
    const KHandle lsp = k.socket_create();
    intercept_base(k, lsp);
    k.socket_set_ioctl(lsp, kSioBspHandlePoll, UVAFD_EINVAL, 0);
    k.socket_set_ioctl(lsp, kSioBspHandleSelect, 0, base);
    CHECK(walk(k, lsp).base == base);
  }
  SECTION("SIO_BSP_HANDLE when the others name the layer itself or nothing") {
    const KHandle lsp = k.socket_create();
    intercept_base(k, lsp);
    k.socket_set_ioctl(lsp, kSioBspHandlePoll, 0, lsp);        // itself: rejected
    k.socket_set_ioctl(lsp, kSioBspHandleSelect, 0, kInvalid);  // INVALID_SOCKET: rejected
    k.socket_set_ioctl(lsp, kSioBspHandle, 0, base);
    const Walk w = walk(k, lsp);
    CHECK(w.rc == 0);
    CHECK(w.base == base);
  }
  SECTION("three layers, each intercepting SIO_BASE_HANDLE") {
    const KHandle top = k.socket_create(), middle = k.socket_create();
    intercept_base(k, top);
    intercept_base(k, middle, UVAFD_ENOMEM);
    k.socket_set_ioctl(top, kSioBspHandlePoll, 0, middle);
    k.socket_set_ioctl(middle, kSioBspHandlePoll, 0, middle);  // names itself
    k.socket_set_ioctl(middle, kSioBspHandleSelect, 0, base);
    CHECK(walk(k, top).base == base);
  }
  SECTION("a SIO_BASE_HANDLE that succeeds with no socket counts as a failure") {
    const KHandle lsp = k.socket_create();
    k.socket_set_ioctl(lsp, kSioBaseHandle, 0, kInvalid);
    k.socket_set_ioctl(lsp, kSioBspHandlePoll, 0, base);
    CHECK(walk(k, lsp).base == base);
  }
}

TEST_CASE("base socket: when every way fails, the first error is reported", "[base]") {
  SimKernel k;
  const KHandle lsp = k.socket_create();
  intercept_base(k, lsp, UVAFD_EINVAL);
  SECTION("every BSP ioctl names the socket itself (Komodia answers select that way)") {
    k.socket_set_ioctl(lsp, kSioBspHandleSelect, 0, lsp);
    k.socket_set_ioctl(lsp, kSioBspHandle, UVAFD_ENOMEM, 0);
    // BSP_POLL is not overridden: the sim answers it with the socket itself.
    CHECK(walk(k, lsp).rc == UVAFD_EINVAL);
  }
  SECTION("every BSP ioctl fails or answers 0") {
    k.socket_set_ioctl(lsp, kSioBspHandlePoll, UVAFD_ENOMEM, 0);
    k.socket_set_ioctl(lsp, kSioBspHandleSelect, 0, 0);
    k.socket_set_ioctl(lsp, kSioBspHandle, UVAFD_EBADF, 0);
    CHECK(walk(k, lsp).rc == UVAFD_EINVAL);
  }
  SECTION("a lower layer fails differently, then leads nowhere") {
    const KHandle lower = k.socket_create();
    k.socket_set_ioctl(lsp, kSioBspHandlePoll, 0, lower);
    intercept_base(k, lower, UVAFD_ENOMEM);
    k.socket_set_ioctl(lower, kSioBspHandlePoll, UVAFD_ENOMEM, 0);
    k.socket_set_ioctl(lower, kSioBspHandleSelect, UVAFD_ENOMEM, 0);
    k.socket_set_ioctl(lower, kSioBspHandle, 0, lower);
    CHECK(walk(k, lsp).rc == UVAFD_EINVAL);
  }
  SECTION("a lower layer that says it is not a socket") {
    const KHandle lower = k.socket_create();
    k.socket_set_ioctl(lsp, kSioBspHandlePoll, 0, lower);
    k.socket_set_ioctl(lower, kSioBaseHandle, UVAFD_ENOTSOCK, 0);
    k.socket_set_ioctl(lower, kSioBspHandlePoll, 0, k.socket_create());  // never asked
    CHECK(walk(k, lsp).rc == UVAFD_EINVAL);
    CHECK(k.counters().socket_ioctls == 3);
  }
  SECTION("two layers that name each other: a loop ends the walk") {
    const KHandle other = k.socket_create();
    k.socket_set_ioctl(lsp, kSioBspHandlePoll, 0, other);
    intercept_base(k, other, UVAFD_ENOMEM);
    k.socket_set_ioctl(other, kSioBspHandlePoll, 0, lsp);
    CHECK(walk(k, lsp).rc == UVAFD_EINVAL);
    CHECK(k.counters().socket_ioctls == 4);  // BASE, POLL on each, no second round
  }
  SECTION("a chain longer than any real one") {
    KHandle layer = lsp;
    for (int i = 0; i < kMaxProviderLayers + 4; ++i) {
      const KHandle next = k.socket_create();
      k.socket_set_ioctl(layer, kSioBspHandlePoll, 0, next);
      intercept_base(k, next, UVAFD_ENOMEM);
      layer = next;
    }
    CHECK(walk(k, lsp).rc == UVAFD_EINVAL);
    CHECK(k.counters().socket_ioctls <= uint64_t(2 * kMaxProviderLayers));
  }
  SECTION("an unspecific first error reads as not a socket") {
    intercept_base(k, lsp, UVAFD_EIO);
    k.socket_set_ioctl(lsp, kSioBspHandlePoll, UVAFD_ENOMEM, 0);
    k.socket_set_ioctl(lsp, kSioBspHandleSelect, UVAFD_ENOMEM, 0);
    k.socket_set_ioctl(lsp, kSioBspHandle, UVAFD_ENOMEM, 0);
    CHECK(walk(k, lsp).rc == UVAFD_ENOTSOCK);
  }
}

TEST_CASE("sim: a socket behind a layered provider is polled through its base", "[base][sim]") {
  Fixture f;
  const KHandle base = f.kernel.socket_create();
  const KHandle lsp = f.kernel.socket_create();
  intercept_base(f.kernel, lsp);
  f.kernel.socket_set_ioctl(lsp, kSioBspHandlePoll, 0, base);
  int user = 0;
  const uvafd_handle h = f.open(lsp, &user);
  REQUIRE(f.reactor->poll_set_interest(h, UVAFD_READABLE) == 0);
  CHECK(f.wait() == 0);
  CHECK(f.kernel.pending_on(base) == 1);
  CHECK(f.kernel.pending_on(lsp) == 0);
  f.kernel.socket_add_ready(base, kAfdReceive);
  REQUIRE(f.wait() == 1);
  CHECK(f.events[0].user_data == &user);
  CHECK(f.events[0].events == UVAFD_READABLE);

  // A provider that hides its base socket completely: refused, nothing registered.
  const KHandle hidden = f.kernel.socket_create();
  intercept_base(f.kernel, hidden, UVAFD_EINVAL);
  uvafd_handle h2{};
  CHECK(f.reactor->poll_open(hidden, nullptr, &h2) == UVAFD_EINVAL);
  CHECK(f.stats().live_states == 1);
  REQUIRE(f.reactor->handle_close(h) == 0);
}
