// Real loopback sockets for the Wine tests, with plain winsock only: the reactor's tests, the
// epoll port's (which must see only what a wepoll user sees) and the libuv layer's use them.
#pragma once

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

namespace uvafd_test {

void winsock_init();
struct TcpPair {
  SOCKET a = INVALID_SOCKET;  // the connecting side
  SOCKET b = INVALID_SOCKET;  // the accepted side
};
TcpPair tcp_pair();                // connected over 127.0.0.1, both non-blocking
SOCKET udp_socket();               // bound to 127.0.0.1:0, non-blocking
void send_to_self(SOCKET udp);     // one datagram to its own address
void abortive_close(SOCKET s);     // SO_LINGER {1, 0}: the peer sees a reset
void set_nonblocking(SOCKET s);
int recv_all(SOCKET s);            // drains what is readable; returns bytes read

}  // namespace uvafd_test
