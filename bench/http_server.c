/* The HTTP benchmark's server (bench/http.sh builds it with the native cc and runs it on Linux,
 * not under Wine, so that only the client's side is Wine's): HTTP/1.1 with keep-alive, one
 * thread, epoll, one fixed response (http_body.h) for every request on any path. It only has to
 * keep up: a request is a header block ending in an empty line, answered as soon as it is
 * complete, several in one read (pipelined) included.
 *
 *   http_server [DELAY_US]   listens on 127.0.0.1, an ephemeral port; prints "port=N" once
 *                            listening; each response is sent DELAY_US after its request is
 *                            complete (default 0: at once), as a network's round trip would
 *
 * It ends on SIGTERM (the script ends it by PID) or when its parent dies. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "http_body.h"

#define MAX_FDS 65536
#define IN_CAP 8192

typedef struct conn {
  unsigned long long id; /* which connection an fd was when a delayed response was queued */
  char in[IN_CAP];
  size_t in_len;
  char* out;  /* responses not yet written (the socket's buffer was full) */
  size_t out_len, out_cap;
} conn;

static conn* conns[MAX_FDS];
static char response[256];
static size_t response_len;

/* Delayed responses, due in the order they were queued (one delay for all): a ring. */
typedef struct due_response {
  int fd;
  unsigned long long id;
  unsigned long long due_ns;
} due_response;
#define DUE_CAP (1u << 16)
static due_response due[DUE_CAP];
static unsigned due_head, due_count;
static unsigned long long delay_ns;

static unsigned long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

static void arm_timer(int tfd) {
  struct itimerspec its = {0};
  if (due_count) {
    unsigned long long at = due[due_head].due_ns;
    its.it_value.tv_sec = (time_t)(at / 1000000000ull);
    its.it_value.tv_nsec = (long)(at % 1000000000ull);
  }
  timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void die(const char* what) {
  perror(what);
  exit(2);
}

static void drop(int ep, int fd) {
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  free(conns[fd]->out);
  free(conns[fd]);
  conns[fd] = NULL;
}

/* Writes what is queued; 0 when all of it went out, 1 when the rest waits for EPOLLOUT, -1 on
 * an error. */
static int flush_out(int ep, int fd, conn* c) {
  size_t done = 0;
  while (done < c->out_len) {
    ssize_t n = send(fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) return -1;
    done += (size_t)n;
  }
  memmove(c->out, c->out + done, c->out_len - done);
  c->out_len -= done;
  struct epoll_event ev = {.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0), .data.fd = fd};
  epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
  return c->out_len ? 1 : 0;
}

static int queue_response(conn* c) {
  if (c->out_len + response_len > c->out_cap) {
    size_t cap = (c->out_len + response_len) * 2;
    char* p = realloc(c->out, cap);
    if (!p) return -1;
    c->out = p;
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, response, response_len);
  c->out_len += response_len;
  return 0;
}

/* Reads what arrived and answers every complete request in it, at once or DELAY_US later. */
static void on_readable(int ep, int tfd, int fd) {
  conn* c = conns[fd];
  int answered = 0;
  for (;;) {
    ssize_t n = recv(fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      drop(ep, fd);
      return;
    }
    c->in_len += (size_t)n;
    char* end;
    while ((end = memmem(c->in, c->in_len, "\r\n\r\n", 4)) != NULL) {
      size_t used = (size_t)(end - c->in) + 4;
      if (delay_ns && due_count < DUE_CAP) {
        due[(due_head + due_count++) % DUE_CAP] = (due_response){fd, c->id, now_ns() + delay_ns};
        if (due_count == 1) arm_timer(tfd);
      } else if (queue_response(c) != 0) {
        drop(ep, fd);
        return;
      } else {
        answered = 1;
      }
      memmove(c->in, c->in + used, c->in_len - used);
      c->in_len -= used;
    }
    if (c->in_len == IN_CAP) {  /* a header block larger than any this benchmark sends */
      drop(ep, fd);
      return;
    }
  }
  if (answered && flush_out(ep, fd, c) < 0) drop(ep, fd);
}

/* The timer fired: every response now due goes out, to connections that are still the same. */
static void send_due(int ep, int tfd) {
  unsigned long long now = now_ns(), expirations;
  if (read(tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) die("read(timerfd)");
  while (due_count && due[due_head].due_ns <= now) {
    due_response d = due[due_head];
    due_head = (due_head + 1) % DUE_CAP;
    due_count--;
    conn* c = conns[d.fd];
    if (!c || c->id != d.id) continue;
    if (queue_response(c) != 0 || flush_out(ep, d.fd, c) < 0) drop(ep, d.fd);
  }
  arm_timer(tfd);
}

int main(int argc, char** argv) {
  struct sockaddr_in a;
  socklen_t alen = sizeof a;
  int one = 1;
  unsigned long long next_id = 1;
  delay_ns = argc > 1 ? strtoull(argv[1], NULL, 10) * 1000ull : 0;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  signal(SIGPIPE, SIG_IGN);
  response_len = (size_t)snprintf(response, sizeof response,
                                  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                  "Content-Length: %zu\r\n\r\n%s",
                                  BENCH_HTTP_BODY_LEN, BENCH_HTTP_BODY);
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (l < 0) die("socket");
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l, (struct sockaddr*)&a, sizeof a) != 0 || listen(l, SOMAXCONN) != 0 ||
      getsockname(l, (struct sockaddr*)&a, &alen) != 0)
    die("bind/listen on 127.0.0.1");
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) != 0) die("epoll_ctl(listener)");
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct epoll_event tev = {.events = EPOLLIN, .data.fd = tfd};
  if (tfd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev) != 0) die("timerfd");
  printf("port=%d\n", ntohs(a.sin_port));
  fflush(stdout);

  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == tfd) {
        send_due(ep, tfd);
        continue;
      }
      if (fd == l) {
        int s;
        while ((s = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          if (s >= MAX_FDS || !(conns[s] = calloc(1, sizeof(conn)))) {
            close(s);
            continue;
          }
          conns[s]->id = next_id++;
          setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = s};
          epoll_ctl(ep, EPOLL_CTL_ADD, s, &cev);
        }
        continue;
      }
      if (!conns[fd]) continue;
      if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        drop(ep, fd);
        continue;
      }
      if ((events[i].events & EPOLLOUT) && flush_out(ep, fd, conns[fd]) < 0) {
        drop(ep, fd);
        continue;
      }
      if (events[i].events & EPOLLIN) on_readable(ep, tfd, fd);
    }
  }
}
