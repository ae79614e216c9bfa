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

#include "wepoll.h"
#include "uvafd/reactor.h"

namespace ep {

void winsock_init();
struct TcpPair {
  SOCKET a = INVALID_SOCKET, b = INVALID_SOCKET;
};
TcpPair tcp_pair();
SOCKET udp_socket();
void send_to_self(SOCKET udp);
void abortive_close(SOCKET s);
int drain(SOCKET s);  // reads what is readable; bytes read

epoll_event ev(uint32_t events, uint64_t tag);
// Waits up to timeout_ms; the events it returned.
std::vector<epoll_event> wait(HANDLE port, int timeout_ms, int maxevents = 64);
// Waits until an event with this tag comes (or timeout); its bits, 0 if none came.
uint32_t wait_for(HANDLE port, uint64_t tag, int timeout_ms = 2000);

// The reactor's counters (static build only; the DLL exports wepoll's names alone).
bool stats(HANDLE port, uvafd_stats* out, uint64_t* misrouted);

}  // namespace ep
