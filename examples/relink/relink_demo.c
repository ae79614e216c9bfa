/* relink demo: one libuv program, compiled once, linked twice (real libuv and uvafd).
 *
 * An ordinary libuv program: only libuv's public API, plus winsock for one socket pair that
 * the program owns and drives itself. Everything runs in ONE loop, in phases that follow one
 * another, each started by the last callback of the one before:
 *   1. idle:        an idle handle runs 3 times and stops itself;
 *   2. tcp:         uv_tcp_t server and client on 127.0.0.1; the client sends 3 messages, one
 *                   at a time, the server echoes each; then the client shuts down its side,
 *                   the server sees the end of stream and closes, and so does the client;
 *   3. getaddrinfo: uv_getaddrinfo of "127.0.0.1" (numeric) and of "localhost" (the resolver),
 *                   both on the thread pool;
 *   4. work:        4 uv_queue_work items sum squares on the thread pool; the after-work
 *                   callbacks run on the loop thread;
 *   5. fs:          a temporary file through uv_fs_*: open, write, read back, close, unlink,
 *                   and a stat that finds it gone, each step started by the one before;
 *   6. poll:        a socket pair made with winsock (foreign to libuv), both ends under
 *                   uv_poll_t: 5 ping-pong round trips driven by UV_READABLE, then the end
 *                   of stream;
 *   7. timers:      a repeating timer stops itself after 3 ticks, then a one-shot timer;
 *   8. async:       3 uv_async_send calls from the loop thread (coalesced into one callback),
 *                   then 3 from a thread made with uv_thread_create (at least one callback);
 *   9. teardown:    every handle closed with a close callback, the loop runs dry,
 *                   uv_loop_close.
 * A prepare and a check handle count loop iterations silently the whole time.
 *
 * The transcript is the same on every run and with both libraries: nothing printed depends on
 * timing (no times, ports, addresses, file names or counts that coalescing could change), and
 * where two callbacks may come in either order (connect and accept, say), the program waits
 * for both and then prints in a fixed order. Exit code 0 when every expected callback ran. */
#include <uv.h>

#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WATCHDOG_MS 30000

enum phase {
  PH_IDLE, PH_TCP, PH_GETADDRINFO, PH_WORK, PH_FS, PH_POLL, PH_TIMERS, PH_ASYNC_LOCAL,
  PH_ASYNC_THREAD, PH_TEARDOWN
};
static const char* const phase_names[] = {
  "idle", "tcp", "getaddrinfo", "work", "fs", "poll", "timers", "async (loop thread)",
  "async (other thread)", "teardown"};

/* Every handle, one bit each in closed_mask (set by its close callback). */
enum {
  H_IDLE, H_PREPARE, H_CHECK, H_TCP_SERVER, H_TCP_CLIENT, H_TCP_CONN, H_SERVER_POLL,
  H_CLIENT_POLL, H_REPEAT_TIMER, H_ONESHOT_TIMER, H_ASYNC, H_WATCHDOG, H_COUNT
};

#define TCP_MESSAGES 3
#define TCP_MSG_LEN 7  /* "hello 1", "hello 2", ... */
#define WORK_ITEMS 4
#define WORK_N 1000    /* the items sum i*i for i in 1..WORK_N, a quarter each */
#define ROUND_TRIPS 5
#define POLL_MSG_LEN 6 /* "ping 1", "pong 1", ... */

struct work_item {
  uv_work_t req;
  long first, last, sum;
  int off_loop_thread;
};

static struct demo {
  uv_loop_t loop;
  uv_thread_t loop_thread;
  enum phase phase;
  uv_handle_t* handles[H_COUNT];
  unsigned closed_mask;
  int close_calls;
  int failures;

  /* 1 and the silent prepare/check pair */
  uv_idle_t idle;
  uv_prepare_t prepare;
  uv_check_t check;
  uv_timer_t watchdog;
  int idle_calls;
  int prepare_calls, check_calls, prepared, check_after_prepare;

  /* 2 */
  uv_tcp_t tcp_server, tcp_client, tcp_conn;
  uv_connect_t connect_req;
  uv_shutdown_t shutdown_req;
  char client_rx[TCP_MSG_LEN], conn_rx[TCP_MSG_LEN];
  int client_rx_len, conn_rx_len;
  char client_slab[64], conn_slab[64];
  int tcp_connected, tcp_accepted, tcp_echoes, tcp_shutdown_done, tcp_shutdown_status;
  int tcp_server_eof, tcp_client_eof;

  /* 3 */
  uv_getaddrinfo_t gai_req;
  int gai_numeric_ok, gai_localhost_ok;

  /* 4 */
  struct work_item work[WORK_ITEMS];
  int work_done, work_status_ok, work_on_loop_thread;

  /* 5 */
  uv_fs_t fs_req;
  char fs_path[1024];
  uv_file fs_fd;
  char fs_buf[128];
  int fs_ok;

  /* 6 */
  uv_poll_t server_poll, client_poll;
  SOCKET server_sock, client_sock;
  int first_ping_sent, round_trips, server_eof;
  char server_buf[POLL_MSG_LEN], client_buf[POLL_MSG_LEN];
  int server_got, client_got;

  /* 7 */
  uv_timer_t repeat_timer, oneshot_timer;
  int ticks, oneshot_calls, elapsed_ok;
  uint64_t timer_base;

  /* 8 */
  uv_async_t async;
  uv_thread_t thread;
  int local_async_calls, thread_async_calls;
  volatile LONG thread_sends, last_send_started, thread_send_failed;
} d;

static const char fs_text[] = "written by the relink demo and read back through uv_fs_*\n";

static void start_tcp_phase(void);
static void start_getaddrinfo_phase(void);
static void start_work_phase(void);
static void start_fs_phase(void);
static void start_poll_phase(void);
static void start_timer_phase(void);
static void start_async_phase(void);
static void teardown(void);

/* ---- helpers ---------------------------------------------------------------------------- */

static const char* yes_no(int v) { return v ? "yes" : "no"; }

static void fail(const char* what, int rc) {
  printf("FAILED: %s (%d: %s)\n", what, rc, rc < 0 ? uv_err_name(rc) : "-");
  exit(1);
}

static void check_uv(int rc, const char* what) {
  if (rc != 0) fail(what, rc);
}

static void expect(int cond, const char* what) {
  if (!cond) {
    printf("FAILED: %s\n", what);
    d.failures++;
  }
}

static void on_close(uv_handle_t* h) {
  int i;
  for (i = 0; i < H_COUNT; ++i)
    if (d.handles[i] == h) {
      expect(!(d.closed_mask & (1u << i)), "one close callback per handle");
      d.closed_mask |= 1u << i;
    }
  d.close_calls++;
}

/* ---- 1: idle, and the silent prepare/check pair ------------------------------------------ */

static void on_idle(uv_idle_t* h) {
  if (++d.idle_calls < 3) return;
  check_uv(uv_idle_stop(h), "uv_idle_stop");
  printf("idle: 3 callbacks, stopped itself\n");
  start_tcp_phase();
}

static void on_prepare(uv_prepare_t* h) {
  (void)h;
  d.prepare_calls++;
  d.prepared = 1;
}

static void on_check(uv_check_t* h) {
  (void)h;
  d.check_calls++;
  if (d.prepared) d.check_after_prepare = 1;
  d.prepared = 0;
}

static void on_watchdog(uv_timer_t* t) {
  (void)t;
  printf("FAILED: watchdog: no progress after %d s in phase %s\n", WATCHDOG_MS / 1000,
         phase_names[d.phase]);
  exit(2);
}

/* ---- 2: tcp ------------------------------------------------------------------------------ */

/* Every write owns its request and a copy of its bytes until its callback. */
struct write_req {
  uv_write_t req;
  char data[TCP_MSG_LEN];
};

static void on_written(uv_write_t* req, int status) {
  expect(status == 0, "uv_write completes with status 0");
  free(req);
}

static void tcp_send(uv_tcp_t* tcp, const char* msg) {
  struct write_req* w = malloc(sizeof *w);
  uv_buf_t buf;
  if (w == NULL) fail("malloc", 0);
  memcpy(w->data, msg, TCP_MSG_LEN);
  buf = uv_buf_init(w->data, TCP_MSG_LEN);
  check_uv(uv_write(&w->req, (uv_stream_t*)tcp, &buf, 1, on_written), "uv_write");
}

static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)suggested;
  if (h == (uv_handle_t*)&d.tcp_client)
    *buf = uv_buf_init(d.client_slab, sizeof d.client_slab);
  else
    *buf = uv_buf_init(d.conn_slab, sizeof d.conn_slab);
}

/* Appends what came in to a message buffer; 1 when it holds a whole message. Messages go one
 * at a time (the next only after the echo of the last), so one read never holds two. */
static int collect(char* msg, int* len, const uv_buf_t* buf, ssize_t nread) {
  if (*len + nread > TCP_MSG_LEN) fail("more than one message in flight", (int)nread);
  memcpy(msg + *len, buf->base, (size_t)nread);
  *len += (int)nread;
  if (*len < TCP_MSG_LEN) return 0;
  *len = 0;
  return 1;
}

static void maybe_finish_tcp(void) {
  /* The shutdown callback and the end of stream come in either order. */
  if (!d.tcp_shutdown_done || !d.tcp_client_eof) return;
  printf("tcp client: shutdown callback status %d; end of stream after the server closed\n",
         d.tcp_shutdown_status);
  expect(d.tcp_shutdown_status == 0, "uv_shutdown status 0");
  start_getaddrinfo_phase();
}

static void on_shutdown(uv_shutdown_t* req, int status) {
  (void)req;
  d.tcp_shutdown_done = 1;
  d.tcp_shutdown_status = status;
  maybe_finish_tcp();
}

static void on_client_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  char next[TCP_MSG_LEN + 1];
  if (nread == UV_EOF) {
    d.tcp_client_eof = 1;
    maybe_finish_tcp();
    return;
  }
  if (nread < 0) fail("tcp client read", (int)nread);
  if (nread == 0 || !collect(d.client_rx, &d.client_rx_len, buf, nread)) return;
  d.tcp_echoes++;
  printf("tcp client: echo \"%.*s\" came back\n", TCP_MSG_LEN, d.client_rx);
  if (d.tcp_echoes < TCP_MESSAGES) {
    snprintf(next, sizeof next, "hello %d", d.tcp_echoes + 1);
    printf("tcp client: sends \"%s\"\n", next);
    tcp_send(&d.tcp_client, next);
  } else {
    printf("tcp client: %d echoes; shuts down its sending side\n", TCP_MESSAGES);
    check_uv(uv_shutdown(&d.shutdown_req, s, on_shutdown), "uv_shutdown");
  }
}

static void on_conn_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread == UV_EOF) {
    d.tcp_server_eof = 1;
    printf("tcp server: end of stream; closes the connection\n");
    uv_close((uv_handle_t*)s, on_close);
    return;
  }
  if (nread < 0) fail("tcp server read", (int)nread);
  if (nread == 0 || !collect(d.conn_rx, &d.conn_rx_len, buf, nread)) return;
  printf("tcp server: got \"%.*s\", echoes it\n", TCP_MSG_LEN, d.conn_rx);
  tcp_send(&d.tcp_conn, d.conn_rx);
}

static void maybe_start_talking(void) {
  /* The connect and the accept callbacks come in either order. */
  if (!d.tcp_connected || !d.tcp_accepted) return;
  printf("tcp: client connected, server accepted; both read\n");
  printf("tcp client: sends \"hello 1\"\n");
  tcp_send(&d.tcp_client, "hello 1");
}

static void on_connect(uv_connect_t* req, int status) {
  check_uv(status, "connect callback");
  check_uv(uv_read_start(req->handle, on_alloc, on_client_read), "uv_read_start(client)");
  d.tcp_connected = 1;
  maybe_start_talking();
}

static void on_connection(uv_stream_t* server, int status) {
  check_uv(status, "connection callback");
  check_uv(uv_tcp_init(&d.loop, &d.tcp_conn), "uv_tcp_init(connection)");
  d.handles[H_TCP_CONN] = (uv_handle_t*)&d.tcp_conn;
  check_uv(uv_accept(server, (uv_stream_t*)&d.tcp_conn), "uv_accept");
  check_uv(uv_read_start((uv_stream_t*)&d.tcp_conn, on_alloc, on_conn_read),
           "uv_read_start(connection)");
  d.tcp_accepted = 1;
  maybe_start_talking();
}

static void start_tcp_phase(void) {
  struct sockaddr_in addr;
  int len = sizeof addr;
  d.phase = PH_TCP;
  check_uv(uv_tcp_init(&d.loop, &d.tcp_server), "uv_tcp_init(server)");
  check_uv(uv_tcp_init(&d.loop, &d.tcp_client), "uv_tcp_init(client)");
  d.handles[H_TCP_SERVER] = (uv_handle_t*)&d.tcp_server;
  d.handles[H_TCP_CLIENT] = (uv_handle_t*)&d.tcp_client;
  check_uv(uv_ip4_addr("127.0.0.1", 0, &addr), "uv_ip4_addr");
  check_uv(uv_tcp_bind(&d.tcp_server, (const struct sockaddr*)&addr, 0), "uv_tcp_bind");
  check_uv(uv_listen((uv_stream_t*)&d.tcp_server, 8, on_connection), "uv_listen");
  check_uv(uv_tcp_getsockname(&d.tcp_server, (struct sockaddr*)&addr, &len),
           "uv_tcp_getsockname");
  printf("tcp: server listens on 127.0.0.1 (a port the system chose), client connects\n");
  check_uv(uv_tcp_nodelay(&d.tcp_client, 1), "uv_tcp_nodelay");
  check_uv(uv_tcp_connect(&d.connect_req, &d.tcp_client, (const struct sockaddr*)&addr,
                          on_connect), "uv_tcp_connect");
}

/* ---- 3: getaddrinfo ---------------------------------------------------------------------- */

static void on_localhost(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  struct addrinfo* ai;
  char name[64];
  int loopback = 0;
  (void)req;
  check_uv(status, "getaddrinfo callback (localhost)");
  for (ai = res; ai != NULL; ai = ai->ai_next)
    if (ai->ai_family == AF_INET &&
        uv_ip4_name((struct sockaddr_in*)ai->ai_addr, name, sizeof name) == 0 &&
        strcmp(name, "127.0.0.1") == 0)
      loopback = 1;
  uv_freeaddrinfo(res);
  printf("getaddrinfo: \"localhost\" (IPv4) resolves to 127.0.0.1: %s\n", yes_no(loopback));
  expect(loopback, "localhost resolves to 127.0.0.1");
  d.gai_localhost_ok = loopback;
  start_work_phase();
}

static void on_numeric(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  struct addrinfo* ai;
  struct addrinfo hints;
  char name[64];
  int n = 0;
  check_uv(status, "getaddrinfo callback (numeric)");
  for (ai = res; ai != NULL; ai = ai->ai_next, ++n) {
    const struct sockaddr_in* sin = (const struct sockaddr_in*)ai->ai_addr;
    if (ai->ai_family != AF_INET) fail("getaddrinfo: not AF_INET", ai->ai_family);
    check_uv(uv_ip4_name(sin, name, sizeof name), "uv_ip4_name");
    printf("getaddrinfo: result %d: %s port %d, %s\n", n + 1, name, ntohs(sin->sin_port),
           ai->ai_socktype == SOCK_STREAM ? "SOCK_STREAM" : "another socket type");
  }
  uv_freeaddrinfo(res);
  d.gai_numeric_ok = n == 1;
  expect(n == 1, "one result for a numeric address with a socket type");

  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  check_uv(uv_getaddrinfo(&d.loop, req, on_localhost, "localhost", NULL, &hints),
           "uv_getaddrinfo(localhost)");
}

static void start_getaddrinfo_phase(void) {
  struct addrinfo hints;
  d.phase = PH_GETADDRINFO;
  printf("getaddrinfo: \"127.0.0.1\", service \"80\", TCP over IPv4\n");
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  check_uv(uv_getaddrinfo(&d.loop, &d.gai_req, on_numeric, "127.0.0.1", "80", &hints),
           "uv_getaddrinfo(127.0.0.1)");
}

/* ---- 4: work on the thread pool ---------------------------------------------------------- */

static void work_cb(uv_work_t* req) {
  struct work_item* w = req->data;
  uv_thread_t self = uv_thread_self();
  long i;
  w->off_loop_thread = !uv_thread_equal(&self, &d.loop_thread);
  for (w->sum = 0, i = w->first; i <= w->last; ++i) w->sum += i * i;
}

static void after_work_cb(uv_work_t* req, int status) {
  uv_thread_t self = uv_thread_self();
  long total = 0;
  int i, all_off_loop = 1;
  (void)req;
  d.work_status_ok += status == 0;
  d.work_on_loop_thread += uv_thread_equal(&self, &d.loop_thread) != 0;
  if (++d.work_done < WORK_ITEMS) return;
  /* The after-work callbacks come in any order; this is the last one. */
  for (i = 0; i < WORK_ITEMS; ++i) {
    total += d.work[i].sum;
    all_off_loop = all_off_loop && d.work[i].off_loop_thread;
  }
  printf("work: %d after-work callbacks with status 0, all on the loop thread: %s\n",
         d.work_status_ok, yes_no(d.work_on_loop_thread == WORK_ITEMS));
  printf("work: every item ran on a thread-pool thread: %s\n", yes_no(all_off_loop));
  printf("work: sum of i*i for i in 1..%d = %ld\n", WORK_N, total);
  expect(d.work_status_ok == WORK_ITEMS && d.work_on_loop_thread == WORK_ITEMS && all_off_loop,
         "work and after-work callbacks on their threads");
  expect(total == (long)WORK_N * (WORK_N + 1) * (2 * WORK_N + 1) / 6, "sum of squares");
  start_fs_phase();
}

static void start_work_phase(void) {
  int i;
  d.phase = PH_WORK;
  printf("work: %d uv_queue_work items, each sums i*i over a quarter of 1..%d\n", WORK_ITEMS,
         WORK_N);
  for (i = 0; i < WORK_ITEMS; ++i) {
    struct work_item* w = &d.work[i];
    w->first = (long)i * (WORK_N / WORK_ITEMS) + 1;
    w->last = (long)(i + 1) * (WORK_N / WORK_ITEMS);
    w->req.data = w;
    check_uv(uv_queue_work(&d.loop, &w->req, work_cb, after_work_cb), "uv_queue_work");
  }
}

/* ---- 5: fs ------------------------------------------------------------------------------- */

/* Each step checks its result, prints a line and starts the next one on the same request. */
static void on_fs_stat(uv_fs_t* req) {
  int rc = (int)req->result;
  uv_fs_req_cleanup(req);
  printf("fs: stat after unlink: %s\n", rc == UV_ENOENT ? "ENOENT" : uv_err_name(rc));
  expect(rc == UV_ENOENT, "the file is gone after uv_fs_unlink");
  d.fs_ok = rc == UV_ENOENT;
  start_poll_phase();
}

static void on_fs_unlink(uv_fs_t* req) {
  int rc = (int)req->result;
  uv_fs_req_cleanup(req);
  check_uv(rc, "uv_fs_unlink");
  printf("fs: unlink: 0\n");
  check_uv(uv_fs_stat(&d.loop, req, d.fs_path, on_fs_stat), "uv_fs_stat");
}

static void on_fs_close(uv_fs_t* req) {
  int rc = (int)req->result;
  uv_fs_req_cleanup(req);
  check_uv(rc, "uv_fs_close");
  printf("fs: close: 0\n");
  check_uv(uv_fs_unlink(&d.loop, req, d.fs_path, on_fs_unlink), "uv_fs_unlink");
}

static void on_fs_read(uv_fs_t* req) {
  int n = (int)req->result;
  int same = n == (int)strlen(fs_text) && memcmp(d.fs_buf, fs_text, (size_t)n) == 0;
  uv_fs_req_cleanup(req);
  if (n < 0) fail("uv_fs_read", n);
  printf("fs: read back %d bytes from offset 0, the same as written: %s\n", n, yes_no(same));
  expect(same, "uv_fs_read returns what uv_fs_write wrote");
  check_uv(uv_fs_close(&d.loop, req, d.fs_fd, on_fs_close), "uv_fs_close");
}

static void on_fs_write(uv_fs_t* req) {
  int n = (int)req->result;
  uv_buf_t buf = uv_buf_init(d.fs_buf, sizeof d.fs_buf);
  uv_fs_req_cleanup(req);
  if (n < 0) fail("uv_fs_write", n);
  printf("fs: write: %d bytes at offset 0\n", n);
  check_uv(uv_fs_read(&d.loop, req, d.fs_fd, &buf, 1, 0, on_fs_read), "uv_fs_read");
}

static void on_fs_open(uv_fs_t* req) {
  uv_buf_t buf = uv_buf_init((char*)fs_text, (unsigned)strlen(fs_text));
  int rc = (int)req->result;
  uv_fs_req_cleanup(req);
  if (rc < 0) fail("uv_fs_open", rc);
  d.fs_fd = rc;
  printf("fs: open (create, exclusive, read and write): ok\n");
  check_uv(uv_fs_write(&d.loop, req, d.fs_fd, &buf, 1, 0, on_fs_write), "uv_fs_write");
}

static void start_fs_phase(void) {
  char dir[900];
  size_t len = sizeof dir;
  d.phase = PH_FS;
  check_uv(uv_os_tmpdir(dir, &len), "uv_os_tmpdir");
  snprintf(d.fs_path, sizeof d.fs_path, "%s\\uvafd-relink-%d.tmp", dir, (int)uv_os_getpid());
  printf("fs: a new file in the temporary folder (uv_os_tmpdir)\n");
  check_uv(uv_fs_open(&d.loop, &d.fs_req, d.fs_path,
                      UV_FS_O_CREAT | UV_FS_O_EXCL | UV_FS_O_RDWR, 0600, on_fs_open),
           "uv_fs_open");
}

/* ---- 6: uv_poll_t on a socket pair the program made with winsock ------------------------- */

static void make_socket_pair(void) {
  struct sockaddr_in addr;
  int len = sizeof addr;
  BOOL nodelay = TRUE;
  SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (listener == INVALID_SOCKET) fail("socket(listener)", WSAGetLastError());
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(listener, 1) != 0 ||
      getsockname(listener, (struct sockaddr*)&addr, &len) != 0)
    fail("bind/listen on 127.0.0.1", WSAGetLastError());
  d.client_sock = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (d.client_sock == INVALID_SOCKET) fail("socket(client)", WSAGetLastError());
  if (connect(d.client_sock, (struct sockaddr*)&addr, sizeof addr) != 0)
    fail("connect", WSAGetLastError());
  d.server_sock = accept(listener, NULL, NULL);
  if (d.server_sock == INVALID_SOCKET) fail("accept", WSAGetLastError());
  closesocket(listener);
  setsockopt(d.client_sock, IPPROTO_TCP, TCP_NODELAY, (const char*)&nodelay, sizeof nodelay);
  setsockopt(d.server_sock, IPPROTO_TCP, TCP_NODELAY, (const char*)&nodelay, sizeof nodelay);
  /* uv_poll_init_socket makes both non-blocking. */
}

static void send_msg(SOCKET s, const char* word, int n) {
  char msg[POLL_MSG_LEN + 1];
  snprintf(msg, sizeof msg, "%s %d", word, n);
  if (send(s, msg, POLL_MSG_LEN, 0) != POLL_MSG_LEN) fail("send", WSAGetLastError());
}

/* 1: a whole message is in buf; 0: not yet (would block); -1: end of stream. */
static int read_msg(SOCKET s, char* buf, int* got) {
  for (;;) {
    int n = recv(s, buf + *got, POLL_MSG_LEN - *got, 0);
    if (n > 0) {
      *got += n;
      if (*got == POLL_MSG_LEN) {
        *got = 0;
        return 1;
      }
      continue;
    }
    if (n == 0) return -1;
    if (WSAGetLastError() == WSAEWOULDBLOCK) return 0;
    fail("recv", WSAGetLastError());
  }
}

static void on_server(uv_poll_t* p, int status, int events) {
  int r;
  if (status < 0) fail("server poll status", status);
  if (!(events & UV_READABLE)) return;
  while ((r = read_msg(d.server_sock, d.server_buf, &d.server_got)) == 1) {
    printf("poll server: got \"%.*s\", replies \"pong %c\"\n", POLL_MSG_LEN, d.server_buf,
           d.server_buf[POLL_MSG_LEN - 1]);
    send_msg(d.server_sock, "pong", d.server_buf[POLL_MSG_LEN - 1] - '0');
  }
  if (r < 0) {
    d.server_eof = 1;
    printf("poll server: recv returned 0 (peer shut down its side); stops polling\n");
    check_uv(uv_poll_stop(p), "uv_poll_stop(server)");
    start_timer_phase();
  }
}

static void on_client(uv_poll_t* p, int status, int events) {
  int r;
  if (status < 0) fail("client poll status", status);
  if ((events & UV_WRITABLE) && !d.first_ping_sent) {
    d.first_ping_sent = 1;
    printf("poll client: writable, sends \"ping 1\"; now watches UV_READABLE only\n");
    send_msg(d.client_sock, "ping", 1);
    check_uv(uv_poll_start(p, UV_READABLE, on_client), "uv_poll_start(client, READABLE)");
  }
  if (!(events & UV_READABLE)) return;
  while ((r = read_msg(d.client_sock, d.client_buf, &d.client_got)) == 1) {
    d.round_trips++;
    if (d.round_trips < ROUND_TRIPS) {
      printf("poll client: got \"%.*s\", sends \"ping %d\"\n", POLL_MSG_LEN, d.client_buf,
             d.round_trips + 1);
      send_msg(d.client_sock, "ping", d.round_trips + 1);
    } else {
      printf("poll client: got \"%.*s\": %d round trips; stops polling, shuts down sending\n",
             POLL_MSG_LEN, d.client_buf, ROUND_TRIPS);
      check_uv(uv_poll_stop(p), "uv_poll_stop(client)");
      if (shutdown(d.client_sock, SD_SEND) != 0) fail("shutdown", WSAGetLastError());
      return;
    }
  }
  if (r < 0) fail("client saw end of stream", 0);
}

static void start_poll_phase(void) {
  d.phase = PH_POLL;
  make_socket_pair();
  printf("poll: a loopback TCP pair made with winsock, each end under a uv_poll_t\n");
  check_uv(uv_poll_init_socket(&d.loop, &d.server_poll, d.server_sock), "uv_poll_init_socket");
  check_uv(uv_poll_init_socket(&d.loop, &d.client_poll, d.client_sock), "uv_poll_init_socket");
  d.handles[H_SERVER_POLL] = (uv_handle_t*)&d.server_poll;
  d.handles[H_CLIENT_POLL] = (uv_handle_t*)&d.client_poll;
  printf("poll: server watches UV_READABLE, client watches UV_WRITABLE\n");
  check_uv(uv_poll_start(&d.server_poll, UV_READABLE, on_server), "uv_poll_start(server)");
  check_uv(uv_poll_start(&d.client_poll, UV_WRITABLE, on_client), "uv_poll_start(client)");
}

/* ---- 7: timers --------------------------------------------------------------------------- */

static void on_oneshot(uv_timer_t* t);

static void on_repeat(uv_timer_t* t) {
  d.ticks++;
  printf("timer: repeating tick %d\n", d.ticks);
  if (d.ticks < 3) return;
  check_uv(uv_timer_stop(t), "uv_timer_stop");
  d.elapsed_ok = uv_now(&d.loop) - d.timer_base >= 60;
  printf("timer: stopped itself after 3 ticks; active: %s; repeat still %d ms\n",
         yes_no(uv_is_active((uv_handle_t*)t)), (int)uv_timer_get_repeat(t));
  printf("timer: at least 3 x 20 ms of loop time passed: %s\n", yes_no(d.elapsed_ok));
  expect(d.elapsed_ok, "3 ticks of 20 ms take at least 60 ms of loop time");
  printf("timer: one-shot starts (timeout 30 ms, no repeat)\n");
  check_uv(uv_timer_start(&d.oneshot_timer, on_oneshot, 30, 0), "uv_timer_start(one-shot)");
}

static void start_timer_phase(void) {
  d.phase = PH_TIMERS;
  printf("timer: repeating timer starts (timeout 20 ms, repeat 20 ms)\n");
  d.timer_base = uv_now(&d.loop);
  check_uv(uv_timer_start(&d.repeat_timer, on_repeat, 20, 20), "uv_timer_start(repeat)");
}

/* ---- 8: async ---------------------------------------------------------------------------- */

static void sender_thread(void* arg) {
  int i;
  (void)arg;
  for (i = 0; i < 3; ++i) {
    uv_sleep(30);
    if (i == 2) InterlockedExchange(&d.last_send_started, 1);
    if (uv_async_send(&d.async) != 0) InterlockedExchange(&d.thread_send_failed, 1);
    InterlockedIncrement(&d.thread_sends);
  }
}

static void start_sender_thread(void) {
  d.phase = PH_ASYNC_THREAD;
  printf("async: a uv_thread_create thread starts: 3 uv_async_send calls, 30 ms apart\n");
  check_uv(uv_thread_create(&d.thread, sender_thread, NULL), "uv_thread_create");
}

static void on_oneshot(uv_timer_t* t) {
  d.oneshot_calls++;
  if (d.phase == PH_TIMERS) {
    printf("timer: one-shot fired; still active inside its callback: %s\n",
           yes_no(uv_is_active((uv_handle_t*)t)));
    start_async_phase();
  } else if (d.phase == PH_ASYNC_LOCAL) {
    printf("async: 3 loop-thread sends coalesced into exactly 1 callback: %s\n",
           yes_no(d.local_async_calls == 1));
    expect(d.local_async_calls == 1, "loop-thread sends coalesce into one callback");
    start_sender_thread();
  } else {
    printf("FAILED: one-shot timer in phase %s\n", phase_names[d.phase]);
    d.failures++;
  }
}

static void on_async(uv_async_t* a) {
  (void)a;
  if (d.phase == PH_ASYNC_LOCAL) {
    if (++d.local_async_calls == 1) {
      printf("async: callback ran (loop-thread sends)\n");
      /* Give a second (wrong) callback time to show up before counting. */
      check_uv(uv_timer_start(&d.oneshot_timer, on_oneshot, 50, 0), "uv_timer_start(settle)");
    }
    return;
  }
  if (d.phase != PH_ASYNC_THREAD) {
    printf("FAILED: async callback in phase %s\n", phase_names[d.phase]);
    d.failures++;
    return;
  }
  if (++d.thread_async_calls == 1) printf("async: callback ran (other thread's sends)\n");
  if (InterlockedCompareExchange(&d.last_send_started, 0, 0)) {
    /* The last send began before this callback: join the thread, then every send is done. */
    int ok;
    check_uv(uv_thread_join(&d.thread), "uv_thread_join");
    ok = d.thread_sends == 3 && !d.thread_send_failed;
    printf("async: the thread finished its 3 sends: %s\n", yes_no(ok));
    expect(ok, "the sender thread's sends");
    printf("async: at least one callback: %s\n", yes_no(d.thread_async_calls >= 1));
    printf("async: no more callbacks than sends: %s\n", yes_no(d.thread_async_calls <= 3));
    expect(d.thread_async_calls <= 3, "async callbacks <= sends");
    teardown();
  }
}

static void start_async_phase(void) {
  int i, rc = 0;
  d.phase = PH_ASYNC_LOCAL;
  printf("async: 3 uv_async_send calls in a row from the loop thread\n");
  for (i = 0; i < 3; ++i) rc |= uv_async_send(&d.async);
  check_uv(rc, "uv_async_send (loop thread)");
}

/* ---- 9: teardown ------------------------------------------------------------------------- */

static void teardown(void) {
  int i, all_closing = 1, open = 0;
  d.phase = PH_TEARDOWN;
  for (i = 0; i < H_COUNT; ++i)
    if (!uv_is_closing(d.handles[i])) open++;
  /* The TCP connection closed itself at the end of its stream. */
  printf("close: uv_close on the %d handles still open (of %d)\n", open, H_COUNT);
  for (i = 0; i < H_COUNT; ++i) {
    if (!uv_is_closing(d.handles[i])) uv_close(d.handles[i], on_close);
    all_closing = all_closing && uv_is_closing(d.handles[i]);
  }
  printf("close: every handle reports uv_is_closing: %s\n", yes_no(all_closing));
  expect(all_closing, "uv_is_closing after uv_close");
}

/* ---- main -------------------------------------------------------------------------------- */

int main(void) {
  WSADATA wsa;
  int rc, ok;
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("relink demo: libuv public API, same transcript with every compatible library\n");
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) fail("WSAStartup", 0);

  rc = uv_loop_init(&d.loop);
  printf("loop: uv_loop_init returned %d\n", rc);
  check_uv(rc, "uv_loop_init");
  d.loop_thread = uv_thread_self();

  /* The handles every phase shares; each phase initializes its own. */
  check_uv(uv_idle_init(&d.loop, &d.idle), "uv_idle_init");
  check_uv(uv_prepare_init(&d.loop, &d.prepare), "uv_prepare_init");
  check_uv(uv_check_init(&d.loop, &d.check), "uv_check_init");
  check_uv(uv_timer_init(&d.loop, &d.repeat_timer), "uv_timer_init");
  check_uv(uv_timer_init(&d.loop, &d.oneshot_timer), "uv_timer_init");
  check_uv(uv_async_init(&d.loop, &d.async, on_async), "uv_async_init");
  check_uv(uv_timer_init(&d.loop, &d.watchdog), "uv_timer_init");
  d.handles[H_IDLE] = (uv_handle_t*)&d.idle;
  d.handles[H_PREPARE] = (uv_handle_t*)&d.prepare;
  d.handles[H_CHECK] = (uv_handle_t*)&d.check;
  d.handles[H_REPEAT_TIMER] = (uv_handle_t*)&d.repeat_timer;
  d.handles[H_ONESHOT_TIMER] = (uv_handle_t*)&d.oneshot_timer;
  d.handles[H_ASYNC] = (uv_handle_t*)&d.async;
  d.handles[H_WATCHDOG] = (uv_handle_t*)&d.watchdog;
  printf("handles: idle, prepare, check, 3 timers, async initialized\n");

  /* The watchdog does not keep the loop alive; it only ends a hung run. */
  check_uv(uv_timer_start(&d.watchdog, on_watchdog, WATCHDOG_MS, 0), "uv_timer_start(watchdog)");
  uv_unref((uv_handle_t*)&d.watchdog);
  check_uv(uv_prepare_start(&d.prepare, on_prepare), "uv_prepare_start");
  check_uv(uv_check_start(&d.check, on_check), "uv_check_start");
  check_uv(uv_idle_start(&d.idle, on_idle), "uv_idle_start");
  printf("idle: started\n");

  rc = uv_run(&d.loop, UV_RUN_DEFAULT);
  printf("loop: uv_run returned %d\n", rc);
  expect(rc == 0, "uv_run returns 0 once no handle is left");

  printf("close: %d of %d close callbacks ran, one per handle: %s\n", d.close_calls, H_COUNT,
         yes_no(d.closed_mask == (1u << H_COUNT) - 1));
  expect(d.close_calls == H_COUNT && d.closed_mask == (1u << H_COUNT) - 1, "close callbacks");
  printf("prepare and check ran, check after prepare in one iteration: %s\n",
         yes_no(d.prepare_calls > 0 && d.check_calls > 0 && d.check_after_prepare));
  expect(d.prepare_calls > 0 && d.check_calls > 0 && d.check_after_prepare, "prepare/check");

  closesocket(d.client_sock);
  closesocket(d.server_sock);
  rc = uv_loop_close(&d.loop);
  printf("loop: uv_loop_close returned %d\n", rc);
  expect(rc == 0, "uv_loop_close returns 0");
  WSACleanup();

  printf("version: uv_version_string() = \"%s\"\n", uv_version_string());
#ifdef RELINK_ACROSS_VERSIONS
  /* Compiled against an older libuv's headers (examples/relink/CMakeLists.txt): libuv 1.x
   * keeps its ABI, so a newer library runs the program; its version is the newer one. */
  printf("version: uv_version() is at least UV_VERSION_HEX of uv.h: %s\n",
         yes_no(uv_version() >= UV_VERSION_HEX));
  expect(uv_version() >= UV_VERSION_HEX, "uv_version() is not older than the header");
#else
  printf("version: uv_version() equals UV_VERSION_HEX of uv.h: %s\n",
         yes_no(uv_version() == UV_VERSION_HEX));
  expect(uv_version() == UV_VERSION_HEX, "uv_version() matches the header");
#endif

  ok = d.failures == 0 && d.idle_calls == 3 && d.tcp_echoes == TCP_MESSAGES &&
       d.tcp_server_eof && d.tcp_client_eof && d.gai_numeric_ok && d.gai_localhost_ok &&
       d.work_done == WORK_ITEMS && d.fs_ok && d.round_trips == ROUND_TRIPS && d.server_eof &&
       d.ticks == 3 && d.oneshot_calls == 2 && d.elapsed_ok && d.local_async_calls == 1 &&
       d.thread_async_calls >= 1;
  printf("result: %s\n", ok ? "every expected callback ran" : "FAILED");
  return ok ? 0 : 1;
}
