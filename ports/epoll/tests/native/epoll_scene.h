// The epoll port on the simulated kernel, for the native tests: one Port on the shared
// SimKernel (sim_world_kernel, tests/native/sim_nt_kernel.cpp), closed at the end.
#pragma once

#include <catch.hpp>

#include "epoll_port.h"
#include "sim_kernel.h"

namespace uvafd_test {
uvafd::SimKernel& sim_world_kernel();

struct EpollScene {
  uvafd::SimKernel& k = sim_world_kernel();
  uvafd_epoll::Port* port = nullptr;
  EpollScene() { REQUIRE(uvafd_epoll::Port::create(&port) == 0); }
  ~EpollScene() {
    port->close();
    delete port;
  }
  EpollScene(const EpollScene&) = delete;
  EpollScene& operator=(const EpollScene&) = delete;
  int ctl(int op, SOCKET s, uint32_t events, uint64_t tag) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    return port->ctl(op, s, &ev);
  }
  int add(SOCKET s, uint32_t events, uint64_t tag) { return ctl(EPOLL_CTL_ADD, s, events, tag); }
  int mod(SOCKET s, uint32_t events, uint64_t tag) { return ctl(EPOLL_CTL_MOD, s, events, tag); }
  int wait(epoll_event* out, int max = 8) { return port->wait(out, max, 0); }
};

}  // namespace uvafd_test
