/* uvafd reactor demo: real loopback sockets and a cross-thread wakeup under the C API.
 * Prints each event as it happens, then the reactor's counters after teardown. */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uvafd/reactor.h"

struct demo {
  uvafd_reactor* reactor;
  uvafd_handle server, client, waker;
  SOCKET server_sock, client_sock;
  int pings, wakes, done;
};

static void check(int rc, const char* what) {
  if (rc < 0) {
    fprintf(stderr, "%s: %s\n", what, uvafd_strerror(rc));
    exit(1);
  }
}

static DWORD WINAPI waker_thread(void* arg) {
  struct demo* d = (struct demo*)arg;
  int i;
  for (i = 0; i < 3; ++i) {
    Sleep(100);
    printf("  [thread] uvafd_wake (3 calls, coalesced into at most one packet)\n");
    uvafd_wake(d->reactor, d->waker);
    uvafd_wake(d->reactor, d->waker);
    uvafd_wake(d->reactor, d->waker);
  }
  return 0;
}

static const char* names(uint32_t ev, char* buf) {
  buf[0] = 0;
  if (ev & UVAFD_READABLE) strcat(buf, "READABLE ");
  if (ev & UVAFD_WRITABLE) strcat(buf, "WRITABLE ");
  if (ev & UVAFD_DISCONNECT) strcat(buf, "DISCONNECT ");
  if (ev & UVAFD_WAKEUP) strcat(buf, "WAKEUP ");
  if (ev & UVAFD_LOCAL_CLOSE) strcat(buf, "LOCAL_CLOSE ");
  return buf;
}

static void on_event(void* arg, const uvafd_event* e) {
  struct demo* d = (struct demo*)arg;
  char buf[128], text[64];
  printf("  event on %s: %s(status %d)\n", (const char*)e->user_data, names(e->events, text),
         e->status);
  if (e->events & UVAFD_WAKEUP) {
    if (++d->wakes == 3) {
      printf("  three wakeups seen: peer shuts down its side\n");
      shutdown(d->client_sock, SD_SEND);
    }
    return;
  }
  if (e->handle.slot == d->server.slot && (e->events & UVAFD_READABLE)) {
    int n = recv(d->server_sock, buf, sizeof buf - 1, 0);
    if (n > 0) {
      buf[n] = 0;
      printf("  server read \"%s\", replies\n", buf);
      send(d->server_sock, "pong", 4, 0);
    } else if (n == 0) {
      printf("  server read EOF: done\n");
      d->done = 1;
    }
  }
  if (e->handle.slot == d->client.slot && (e->events & UVAFD_READABLE)) {
    int n = recv(d->client_sock, buf, sizeof buf - 1, 0);
    if (n > 0) {
      buf[n] = 0;
      printf("  client read \"%s\"\n", buf);
      if (++d->pings < 3) send(d->client_sock, "ping", 4, 0);
    }
  }
}

int main(void) {
  struct demo d;
  WSADATA wsa;
  SOCKET listener;
  struct sockaddr_in addr;
  int len = sizeof addr;
  u_long on = 1;
  HANDLE thread;
  uvafd_stats st;

  memset(&d, 0, sizeof d);
  setvbuf(stdout, NULL, _IONBF, 0);
  WSAStartup(MAKEWORD(2, 2), &wsa);
  listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listener, (struct sockaddr*)&addr, sizeof addr);
  getsockname(listener, (struct sockaddr*)&addr, &len);
  listen(listener, 1);
  d.client_sock = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  connect(d.client_sock, (struct sockaddr*)&addr, sizeof addr);
  d.server_sock = accept(listener, NULL, NULL);
  closesocket(listener);
  ioctlsocket(d.client_sock, FIONBIO, &on);
  ioctlsocket(d.server_sock, FIONBIO, &on);

  printf("uvafd reactor demo: TCP ping-pong over 127.0.0.1 and wakeups from another thread\n");
  check(uvafd_reactor_create(NULL, &d.reactor), "create");
  check(uvafd_poll_open(d.reactor, d.server_sock, "server", &d.server), "poll_open");
  check(uvafd_poll_open(d.reactor, d.client_sock, "client", &d.client), "poll_open");
  check(uvafd_wakeup_open(d.reactor, "waker", &d.waker), "wakeup_open");
  check(uvafd_poll_set_interest(d.reactor, d.server, UVAFD_READABLE | UVAFD_DISCONNECT), "interest");
  check(uvafd_poll_set_interest(d.reactor, d.client, UVAFD_READABLE), "interest");
  send(d.client_sock, "ping", 4, 0);
  thread = CreateThread(NULL, 0, waker_thread, &d, 0, NULL);

  while (!d.done) check(uvafd_reactor_wait(d.reactor, 2000, on_event, &d), "wait");

  WaitForSingleObject(thread, INFINITE);
  CloseHandle(thread);
  /* Close one registration with its poll still in flight: it becomes a zombie. */
  check(uvafd_handle_close(d.reactor, d.client), "close");
  uvafd_reactor_stats(d.reactor, &st);
  printf("closed the client registration with its poll in flight: zombies %llu, live %llu\n",
         (unsigned long long)st.zombies, (unsigned long long)st.live_states);
  check(uvafd_reactor_close(d.reactor), "teardown");
  uvafd_reactor_stats(d.reactor, &st);
  printf("after teardown: live %llu, zombies %llu, in flight %llu\n",
         (unsigned long long)st.live_states, (unsigned long long)st.zombies,
         (unsigned long long)st.requests_in_flight);
  printf("kernel calls: %llu submits, %llu cancels, %llu dequeues, %llu posts; "
         "%llu wakes asked, %llu coalesced, %llu delivered\n",
         (unsigned long long)st.nt_submit, (unsigned long long)st.nt_cancel,
         (unsigned long long)st.nt_dequeue, (unsigned long long)st.nt_post,
         (unsigned long long)st.wakes_requested, (unsigned long long)st.wakes_coalesced,
         (unsigned long long)st.wakes_delivered);
  uvafd_reactor_destroy(d.reactor);
  closesocket(d.client_sock);
  closesocket(d.server_sock);
  WSACleanup();
  return st.live_states == 0 && d.wakes >= 1 ? 0 : 1;
}
