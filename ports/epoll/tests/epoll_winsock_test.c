/* wepoll starts Winsock for its caller once and never cleans it up: a program may create a
 * port, use sockets without its own WSAStartup, close the port and go on using them. This
 * program never calls WSAStartup itself. Exit 0 when every step works, else the step's number. */
#include <winsock2.h>
#include <stdio.h>

#include "wepoll.h"

static int step(int n, int ok, const char* what) {
  if (!ok) fprintf(stderr, "step %d failed: %s (WSAGetLastError %d)\n", n, what, WSAGetLastError());
  return ok ? 0 : n;
}

int main(void) {
  HANDLE ep = epoll_create1(0);
  if (!ep) return step(1, 0, "epoll_create1");
  SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  if (s == INVALID_SOCKET) return step(2, 0, "socket() after epoll_create1");
  struct epoll_event ev = {EPOLLOUT, {0}};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) != 0) return step(3, 0, "EPOLL_CTL_ADD");
  if (epoll_close(ep) != 0) return step(4, 0, "epoll_close");
  /* The port is gone; Winsock and the socket must not be. */
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr*)&addr, sizeof addr) != 0) return step(5, 0, "bind() after epoll_close");
  SOCKET t = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  if (t == INVALID_SOCKET) return step(6, 0, "socket() after epoll_close");
  /* A second port on the same sockets, created and closed again. */
  HANDLE ep2 = epoll_create1(0);
  if (!ep2) return step(7, 0, "a second epoll_create1");
  if (epoll_ctl(ep2, EPOLL_CTL_ADD, t, &ev) != 0) return step(8, 0, "ADD to the second port");
  struct epoll_event out[4];
  if (epoll_wait(ep2, out, 4, 1000) != 1) return step(9, 0, "the second port's EPOLLOUT");
  if (epoll_close(ep2) != 0) return step(10, 0, "closing the second port");
  if (closesocket(s) != 0 || closesocket(t) != 0) return step(11, 0, "closesocket");
  return 0;
}
