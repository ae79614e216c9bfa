/* relink demo: one libuv program, compiled once, linked twice (real libuv 1.44.2 and uvafd).
 *
 * It uses only libuv's public API, plus winsock for the socket pair and one helper thread.
 * The phases run one after another, each started by the last callback of the one before,
 * so that the transcript is the same on every run and with both libraries:
 *   1. idle:     an idle handle runs 3 times and stops itself;
 *   2. poll:     a loopback TCP pair, both ends under uv_poll_t, 5 ping-pong round trips
 *                driven by UV_READABLE, then the client shuts down and the server sees EOF;
 *   3. timers:   a repeating timer stops itself after 3 ticks, then a one-shot timer;
 *   4. async:    3 uv_async_send calls from the loop thread (coalesced into one callback),
 *                then 3 sends from a helper thread with pauses (at least one callback);
 *   5. teardown: every handle closed with a close callback, the loop runs dry, uv_loop_close.
 * A prepare and a check handle count loop iterations silently the whole time. Nothing printed
 * depends on timing: no times, no addresses, no counts that coalescing could change.
 * Exit code 0 when every expected callback happened. */
#include <uv.h>

#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUND_TRIPS 5
#define MSG_LEN 6 /* "ping 1", "pong 1", ... */
#define WATCHDOG_MS 30000

enum phase { PH_IDLE, PH_POLL, PH_TIMERS, PH_ASYNC_LOCAL, PH_ASYNC_THREAD, PH_TEARDOWN };
static const char* const phase_names[] = {"idle", "poll", "timers", "async (loop thread)",
                                          "async (helper thread)", "teardown"};

/* One bit per handle, set by its close callback. */
enum {
  H_IDLE, H_PREPARE, H_CHECK, H_SERVER_POLL, H_CLIENT_POLL, H_REPEAT_TIMER, H_ONESHOT_TIMER,
  H_ASYNC, H_WATCHDOG, H_COUNT
};

static struct demo {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_prepare_t prepare;
  uv_check_t check;
  uv_poll_t server_poll, client_poll;
  uv_timer_t repeat_timer, oneshot_timer, watchdog;
  uv_async_t async;
  uv_handle_t* handles[H_COUNT];

  enum phase phase;
  SOCKET server_sock, client_sock;

  int idle_calls;
  int prepare_calls, check_calls, prepared, check_after_prepare;

  int first_ping_sent, round_trips, server_eof;
  char server_buf[MSG_LEN], client_buf[MSG_LEN];
  int server_got, client_got;

  int ticks, oneshot_calls, elapsed_ok;
  uint64_t timer_base;

  int local_async_calls, thread_async_calls;
  volatile LONG thread_sends, last_send_started;
  HANDLE thread;

  unsigned closed_mask;
  int close_calls;
  int failures;
} d;

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

/* ---- sockets ---------------------------------------------------------------------------- */

static void make_socket_pair(void) {
  struct sockaddr_in addr;
  int len = sizeof addr;
  u_long nonblocking = 1;
  BOOL nodelay = TRUE;
  SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (listener == INVALID_SOCKET) fail("socket(listener)", WSAGetLastError());
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
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
  if (ioctlsocket(d.client_sock, FIONBIO, &nonblocking) != 0 ||
      ioctlsocket(d.server_sock, FIONBIO, &nonblocking) != 0)
    fail("ioctlsocket(FIONBIO)", WSAGetLastError());
  setsockopt(d.client_sock, IPPROTO_TCP, TCP_NODELAY, (const char*)&nodelay, sizeof nodelay);
  setsockopt(d.server_sock, IPPROTO_TCP, TCP_NODELAY, (const char*)&nodelay, sizeof nodelay);
}

static void send_msg(SOCKET s, const char* word, int n) {
  char msg[MSG_LEN + 1];
  snprintf(msg, sizeof msg, "%s %d", word, n);
  if (send(s, msg, MSG_LEN, 0) != MSG_LEN) fail("send", WSAGetLastError());
}

/* 1: a whole message is in buf; 0: not yet (would block); -1: end of stream. */
static int read_msg(SOCKET s, char* buf, int* got) {
  for (;;) {
    int n = recv(s, buf + *got, MSG_LEN - *got, 0);
    if (n > 0) {
      *got += n;
      if (*got == MSG_LEN) {
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

/* ---- phase 5: teardown ---------------------------------------------------------------- */

static void on_close(uv_handle_t* h) {
  int i;
  for (i = 0; i < H_COUNT; ++i)
    if (d.handles[i] == h) {
      expect(!(d.closed_mask & (1u << i)), "one close callback per handle");
      d.closed_mask |= 1u << i;
    }
  d.close_calls++;
}

static void teardown(void) {
  int i, all_closing = 1;
  d.phase = PH_TEARDOWN;
  printf("close: uv_close on all %d handles\n", H_COUNT);
  for (i = 0; i < H_COUNT; ++i) {
    uv_close(d.handles[i], on_close);
    all_closing = all_closing && uv_is_closing(d.handles[i]);
  }
  printf("close: every handle reports uv_is_closing: %s\n", yes_no(all_closing));
  expect(all_closing, "uv_is_closing after uv_close");
}

/* ---- phase 4: async ------------------------------------------------------------------- */

static DWORD WINAPI helper_thread(void* arg) {
  int i;
  (void)arg;
  for (i = 0; i < 3; ++i) {
    Sleep(30);
    if (i == 2) InterlockedExchange(&d.last_send_started, 1);
    if (uv_async_send(&d.async) != 0) return 1;
    InterlockedIncrement(&d.thread_sends);
  }
  return 0;
}

static void on_oneshot(uv_timer_t* t);

static void on_async(uv_async_t* a) {
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
  if (++d.thread_async_calls == 1) printf("async: callback ran (helper-thread sends)\n");
  if (InterlockedCompareExchange(&d.last_send_started, 0, 0)) {
    /* The last send began before this callback: join the thread, then every send is done. */
    DWORD code = 1;
    WaitForSingleObject(d.thread, INFINITE);
    GetExitCodeThread(d.thread, &code);
    CloseHandle(d.thread);
    printf("async: helper thread finished its 3 sends: %s\n",
           yes_no(code == 0 && d.thread_sends == 3));
    expect(code == 0 && d.thread_sends == 3, "helper thread sends");
    printf("async: at least one callback: %s\n", yes_no(d.thread_async_calls >= 1));
    printf("async: no more callbacks than sends: %s\n", yes_no(d.thread_async_calls <= 3));
    expect(d.thread_async_calls <= 3, "async callbacks <= sends");
    (void)a;
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

static void start_helper_thread(void) {
  d.phase = PH_ASYNC_THREAD;
  printf("async: helper thread starts: 3 uv_async_send calls, 30 ms apart\n");
  d.thread = CreateThread(NULL, 0, helper_thread, NULL, 0, NULL);
  if (d.thread == NULL) fail("CreateThread", (int)GetLastError());
}

/* ---- phase 3: timers ------------------------------------------------------------------ */

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
    start_helper_thread();
  } else {
    printf("FAILED: one-shot timer in phase %s\n", phase_names[d.phase]);
    d.failures++;
  }
}

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

/* ---- phase 2: poll -------------------------------------------------------------------- */

static void on_server(uv_poll_t* p, int status, int events) {
  int r;
  if (status < 0) fail("server poll status", status);
  if (!(events & UV_READABLE)) return;
  while ((r = read_msg(d.server_sock, d.server_buf, &d.server_got)) == 1) {
    printf("server: got \"%.*s\", replies \"pong %c\"\n", MSG_LEN, d.server_buf,
           d.server_buf[MSG_LEN - 1]);
    send_msg(d.server_sock, "pong", d.server_buf[MSG_LEN - 1] - '0');
  }
  if (r < 0) {
    d.server_eof = 1;
    printf("server: recv returned 0 (peer shut down its side); stops polling\n");
    check_uv(uv_poll_stop(p), "uv_poll_stop(server)");
    start_timer_phase();
  }
}

static void on_client(uv_poll_t* p, int status, int events) {
  int r;
  if (status < 0) fail("client poll status", status);
  if ((events & UV_WRITABLE) && !d.first_ping_sent) {
    d.first_ping_sent = 1;
    printf("client: writable, sends \"ping 1\"; now watches UV_READABLE only\n");
    send_msg(d.client_sock, "ping", 1);
    check_uv(uv_poll_start(p, UV_READABLE, on_client), "uv_poll_start(client, READABLE)");
  }
  if (!(events & UV_READABLE)) return;
  while ((r = read_msg(d.client_sock, d.client_buf, &d.client_got)) == 1) {
    d.round_trips++;
    if (d.round_trips < ROUND_TRIPS) {
      printf("client: got \"%.*s\", sends \"ping %d\"\n", MSG_LEN, d.client_buf,
             d.round_trips + 1);
      send_msg(d.client_sock, "ping", d.round_trips + 1);
    } else {
      printf("client: got \"%.*s\": %d round trips done; stops polling, shuts down sending\n",
             MSG_LEN, d.client_buf, ROUND_TRIPS);
      check_uv(uv_poll_stop(p), "uv_poll_stop(client)");
      if (shutdown(d.client_sock, SD_SEND) != 0) fail("shutdown", WSAGetLastError());
      return;
    }
  }
  if (r < 0) fail("client saw end of stream", 0);
}

/* ---- phase 1: idle, and the silent prepare/check pair ---------------------------------- */

static void on_idle(uv_idle_t* h) {
  if (++d.idle_calls < 3) return;
  check_uv(uv_idle_stop(h), "uv_idle_stop");
  printf("idle: 3 callbacks, stopped itself\n");
  d.phase = PH_POLL;
  printf("poll: server watches UV_READABLE, client watches UV_WRITABLE\n");
  check_uv(uv_poll_start(&d.server_poll, UV_READABLE, on_server), "uv_poll_start(server)");
  check_uv(uv_poll_start(&d.client_poll, UV_WRITABLE, on_client), "uv_poll_start(client)");
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

/* ---- main ----------------------------------------------------------------------------- */

int main(void) {
  WSADATA wsa;
  int rc, ok;
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("relink demo: libuv public API, same transcript with every compatible library\n");
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) fail("WSAStartup", 0);

  rc = uv_loop_init(&d.loop);
  printf("loop: uv_loop_init returned %d\n", rc);
  check_uv(rc, "uv_loop_init");

  make_socket_pair();
  printf("sockets: connected non-blocking loopback TCP pair\n");

  d.handles[H_IDLE] = (uv_handle_t*)&d.idle;
  d.handles[H_PREPARE] = (uv_handle_t*)&d.prepare;
  d.handles[H_CHECK] = (uv_handle_t*)&d.check;
  d.handles[H_SERVER_POLL] = (uv_handle_t*)&d.server_poll;
  d.handles[H_CLIENT_POLL] = (uv_handle_t*)&d.client_poll;
  d.handles[H_REPEAT_TIMER] = (uv_handle_t*)&d.repeat_timer;
  d.handles[H_ONESHOT_TIMER] = (uv_handle_t*)&d.oneshot_timer;
  d.handles[H_ASYNC] = (uv_handle_t*)&d.async;
  d.handles[H_WATCHDOG] = (uv_handle_t*)&d.watchdog;

  check_uv(uv_idle_init(&d.loop, &d.idle), "uv_idle_init");
  check_uv(uv_prepare_init(&d.loop, &d.prepare), "uv_prepare_init");
  check_uv(uv_check_init(&d.loop, &d.check), "uv_check_init");
  check_uv(uv_poll_init_socket(&d.loop, &d.server_poll, d.server_sock), "uv_poll_init_socket");
  check_uv(uv_poll_init_socket(&d.loop, &d.client_poll, d.client_sock), "uv_poll_init_socket");
  check_uv(uv_timer_init(&d.loop, &d.repeat_timer), "uv_timer_init");
  check_uv(uv_timer_init(&d.loop, &d.oneshot_timer), "uv_timer_init");
  check_uv(uv_async_init(&d.loop, &d.async, on_async), "uv_async_init");
  check_uv(uv_timer_init(&d.loop, &d.watchdog), "uv_timer_init");
  printf("handles: idle, prepare, check, 2 polls, 3 timers, async initialized\n");

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
  printf("version: uv_version() equals UV_VERSION_HEX of uv.h: %s\n",
         yes_no(uv_version() == UV_VERSION_HEX));
  expect(uv_version() == UV_VERSION_HEX, "uv_version() matches the header");

  ok = d.failures == 0 && d.idle_calls == 3 && d.round_trips == ROUND_TRIPS && d.server_eof &&
       d.ticks == 3 && d.oneshot_calls == 2 && d.elapsed_ok && d.local_async_calls == 1 &&
       d.thread_async_calls >= 1;
  printf("result: %s\n", ok ? "every expected callback ran" : "FAILED");
  return ok ? 0 : 1;
}
