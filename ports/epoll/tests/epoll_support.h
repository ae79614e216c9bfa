// Loopback sockets and small helpers for the epoll port's tests. Only winsock and the port's
// public header: the tests see what a wepoll user sees.
#pragma once

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <cstdint>
#include <vector>

#include "loopback.h"
#include "wepoll.h"
#include "uvafd/reactor.h"

namespace ep {

// Loopback sockets: the shared test helpers (tests/support/loopback.h), plain winsock.
using uvafd_test::abortive_close;
using uvafd_test::send_to_self;
using uvafd_test::tcp_pair;
using uvafd_test::TcpPair;
using uvafd_test::udp_socket;
using uvafd_test::winsock_init;
inline int drain(SOCKET s) { return uvafd_test::recv_all(s); }  // reads what is readable

epoll_event ev(uint32_t events, uint64_t tag);
// Waits up to timeout_ms; the events it returned.
std::vector<epoll_event> wait(HANDLE port, int timeout_ms, int maxevents = 64);
// Waits until an event with this tag comes (or timeout); its bits, 0 if none came.
uint32_t wait_for(HANDLE port, uint64_t tag, int timeout_ms = 2000);

// The reactor's counters (static build only; the DLL exports wepoll's names alone).
bool stats(HANDLE port, uvafd_stats* out, uint64_t* misrouted);

}  // namespace ep
