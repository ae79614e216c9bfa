/* The floor: the same operations as bench_uv.c with the least kernel work they need, on ntdll
 * directly (resolved with GetProcAddress), no event-loop library.
 *
 *   bench_floor.exe SCENARIO SECONDS [N] [MAX_EVENTS]     (the same arguments as bench_uv)
 *
 *   async N     N threads; each posts one NtSetIoCompletion packet and waits (yielding) until
 *               the main thread has dequeued it (NtRemoveIoCompletionEx, batches of 256).
 *   pingpong N  N loopback TCP pairs; one IOCTL_AFD_POLL per socket per round trip through one
 *               \Device\Afd helper handle associated with the port, dequeued in batches.
 *   churn       socket + connect + accept, base handle, one AFD poll, one message, recv,
 *               closesocket (the poll has completed: nothing to cancel).
 *   idle N      one pair's ping-pong with N idle UDP sockets, each with an AFD poll pending.
 *   memory N    private bytes per socket with an AFD poll pending (IO_STATUS_BLOCK and
 *               AFD_POLL_INFO per socket: what the kernel needs from the process).
 *   close       not applicable (no loop, no close callback): prints nothing and exits 0.
 * Written for this project from the documented NT interfaces; see docs/benchmarks.md. */
#include "bench_common.h"

#include <mswsock.h> /* SIO_BASE_HANDLE */

/* ---- ntdll ------------------------------------------------------------------------------ */

typedef LONG fl_status;
#define FL_STATUS_PENDING ((fl_status)0x00000103)
#define FL_STATUS_TIMEOUT ((fl_status)0x00000102)
#define FL_IOCTL_AFD_POLL 0x00012024u
#define FL_AFD_RECEIVE 0x0001u
#define FL_AFD_DISCONNECT 0x0008u
#define FL_AFD_ABORT 0x0010u
#define FL_AFD_LOCAL_CLOSE 0x0020u
#define FL_KEY_AFD 1
#define FL_KEY_WAKE 2
#define FL_BATCH 256

typedef struct fl_iosb {
  union {
    fl_status status;
    void* pointer;
  } u;
  ULONG_PTR information;
} fl_iosb;

typedef struct fl_completion { /* FILE_IO_COMPLETION_INFORMATION */
  void* key;
  void* apc;
  fl_iosb iosb;
} fl_completion;

typedef struct fl_poll_info { /* AFD_POLL_INFO with one handle */
  LARGE_INTEGER timeout;
  ULONG number_of_handles;
  ULONG exclusive;
  struct {
    HANDLE handle;
    ULONG events;
    fl_status status;
  } handles[1];
} fl_poll_info;

typedef struct fl_unicode {
  USHORT length, maximum_length;
  WCHAR* buffer;
} fl_unicode;

typedef struct fl_object_attributes {
  ULONG length;
  HANDLE root;
  fl_unicode* name;
  ULONG attributes;
  void* security_descriptor;
  void* security_qos;
} fl_object_attributes;

typedef struct fl_completion_port_info { /* FILE_COMPLETION_INFORMATION */
  HANDLE port;
  void* key;
} fl_completion_port_info;

typedef fl_status(WINAPI* fl_NtCreateFile)(HANDLE*, ACCESS_MASK, fl_object_attributes*, fl_iosb*,
                                           LARGE_INTEGER*, ULONG, ULONG, ULONG, ULONG, void*,
                                           ULONG);
typedef fl_status(WINAPI* fl_NtDeviceIoControlFile)(HANDLE, HANDLE, void*, void*, fl_iosb*, ULONG,
                                                    void*, ULONG, void*, ULONG);
typedef fl_status(WINAPI* fl_NtCreateIoCompletion)(HANDLE*, ACCESS_MASK, fl_object_attributes*,
                                                   ULONG);
typedef fl_status(WINAPI* fl_NtSetIoCompletion)(HANDLE, ULONG_PTR, ULONG_PTR, fl_status, ULONG_PTR);
typedef fl_status(WINAPI* fl_NtRemoveIoCompletionEx)(HANDLE, fl_completion*, ULONG, ULONG*,
                                                     LARGE_INTEGER*, BOOLEAN);
typedef fl_status(WINAPI* fl_NtSetInformationFile)(HANDLE, fl_iosb*, void*, ULONG, int);
typedef fl_status(WINAPI* fl_NtClose)(HANDLE);

static struct {
  fl_NtCreateFile create_file;
  fl_NtDeviceIoControlFile ioctl;
  fl_NtCreateIoCompletion create_port;
  fl_NtSetIoCompletion post;
  fl_NtRemoveIoCompletionEx dequeue;
  fl_NtSetInformationFile set_info;
  fl_NtClose close;
} nt;

static void* fl_resolve(HMODULE m, const char* name) {
  /* Through an integer: a FARPROC cannot be cast to another function type without a warning. */
  uintptr_t p = (uintptr_t)GetProcAddress(m, name);
  if (!p) bench_die("ntdll has no %s", name);
  return (void*)p;
}

static void fl_load_ntdll(void) {
  HMODULE m = GetModuleHandleW(L"ntdll.dll");
  if (!m) bench_die("no ntdll");
  nt.create_file = (fl_NtCreateFile)fl_resolve(m, "NtCreateFile");
  nt.ioctl = (fl_NtDeviceIoControlFile)fl_resolve(m, "NtDeviceIoControlFile");
  nt.create_port = (fl_NtCreateIoCompletion)fl_resolve(m, "NtCreateIoCompletion");
  nt.post = (fl_NtSetIoCompletion)fl_resolve(m, "NtSetIoCompletion");
  nt.dequeue = (fl_NtRemoveIoCompletionEx)fl_resolve(m, "NtRemoveIoCompletionEx");
  nt.set_info = (fl_NtSetInformationFile)fl_resolve(m, "NtSetInformationFile");
  nt.close = (fl_NtClose)fl_resolve(m, "NtClose");
}

/* ---- the run ---------------------------------------------------------------------------- */

static struct {
  bench_args args;
  HANDLE port, helper;
  fl_completion batch[FL_BATCH];
  double t0, t1, deadline, cpu0, cpu1;
  long long events;
  long long halves; /* ping-pong: pings echoed plus pongs received, while measuring */
  int finished;
  char extra[512];
} f;

static void fl_begin(void) {
  f.events = 0;
  f.finished = 0;
  f.cpu0 = bench_cpu_s();
  f.t0 = bench_now_s();
  f.deadline = f.t0 + f.args.seconds;
}

static void fl_count(void) {
  if (f.finished) return;
  ++f.events;
  if (f.args.max_events > 0 && f.events >= f.args.max_events) {
    f.finished = 1;
    f.t1 = bench_now_s();
    f.cpu1 = bench_cpu_s();
  }
}

/* Ends the run at the deadline; returns the wait for the next dequeue in milliseconds. */
static DWORD fl_time_left(void) {
  double now, left;
  if (f.finished) return 0;
  now = bench_now_s();
  left = f.deadline - now;
  if (left <= 0) {
    f.finished = 1;
    f.t1 = now;
    f.cpu1 = bench_cpu_s();
    return 0;
  }
  return (DWORD)(left * 1000.0) + 1;
}

static void fl_create_port(void) {
  fl_status st = nt.create_port(&f.port, 0x1f0003 /* IO_COMPLETION_ALL_ACCESS */, NULL, 0);
  if (st < 0) bench_die("NtCreateIoCompletion: 0x%08lx", (unsigned long)st);
}

/* An AFD helper handle (not a socket) associated with the port. */
static void fl_create_helper(void) {
  static WCHAR name[] = L"\\Device\\Afd\\uvafdbench";
  fl_unicode u;
  fl_object_attributes oa;
  fl_iosb io;
  fl_completion_port_info ci;
  fl_status st;
  u.length = (USHORT)(wcslen(name) * sizeof(WCHAR));
  u.maximum_length = u.length;
  u.buffer = name;
  memset(&oa, 0, sizeof oa);
  oa.length = sizeof oa;
  oa.name = &u;
  st = nt.create_file(&f.helper, SYNCHRONIZE, &oa, &io, NULL, 0, FILE_SHARE_READ | FILE_SHARE_WRITE,
                      1 /* FILE_OPEN */, 0, NULL, 0);
  if (st < 0) bench_die("NtCreateFile(\\Device\\Afd): 0x%08lx", (unsigned long)st);
  ci.port = f.port;
  ci.key = (void*)(uintptr_t)FL_KEY_AFD;
  st = nt.set_info(f.helper, &io, &ci, sizeof ci, 30 /* FileCompletionInformation */);
  if (st < 0) bench_die("NtSetInformationFile(completion): 0x%08lx", (unsigned long)st);
}

static ULONG fl_dequeue(DWORD timeout_ms) {
  ULONG n = 0;
  LARGE_INTEGER to;
  fl_status st;
  to.QuadPart = -(LONGLONG)timeout_ms * 10000;
  st = nt.dequeue(f.port, f.batch, FL_BATCH, &n, &to, FALSE);
  if (st == FL_STATUS_TIMEOUT) return 0; /* Wine leaves n alone then */
  if (st < 0) bench_die("NtRemoveIoCompletionEx: 0x%08lx", (unsigned long)st);
  return n;
}

static void fl_rate_result(const char* unit) {
  double secs = f.t1 - f.t0;
  double rate = secs > 0 ? (double)f.events / secs : 0;
  if (f.halves > 0 && secs > 0) rate = (double)f.halves / 2.0 / secs; /* as in bench_uv.c */
  bench_cpu_note(f.extra, sizeof f.extra, f.cpu1 - f.cpu0,
                 f.halves > 0 ? (double)f.halves / 2.0 : (double)f.events);
  bench_result("floor", f.args.scenario, f.args.n, rate, unit, f.events, secs, f.extra);
}

/* ---- async ------------------------------------------------------------------------------ */

static struct {
  volatile LONG* delivered;
  volatile LONG stop;
} fa;

static DWORD WINAPI fl_sender(void* arg) {
  uintptr_t i = (uintptr_t)arg;
  while (!fa.stop) {
    LONG seen = fa.delivered[i];
    fl_status st = nt.post(f.port, FL_KEY_WAKE, i, 0, 0);
    if (st < 0) bench_die("NtSetIoCompletion: 0x%08lx", (unsigned long)st);
    while (fa.delivered[i] == seen && !fa.stop) SwitchToThread();
  }
  return 0;
}

static void fl_async(void) {
  long i, n = f.args.n < 1 ? 1 : f.args.n;
  HANDLE* threads = calloc((size_t)n, sizeof *threads);
  fa.delivered = calloc((size_t)n, sizeof *fa.delivered);
  if (!threads || !fa.delivered) bench_die("out of memory");
  f.args.n = n;
  fl_create_port();
  fl_begin();
  for (i = 0; i < n; ++i) {
    threads[i] = CreateThread(NULL, 0, fl_sender, (void*)(uintptr_t)i, 0, NULL);
    if (!threads[i]) bench_die("CreateThread: %lu", GetLastError());
  }
  while (!f.finished) {
    ULONG k, got = fl_dequeue(fl_time_left());
    for (k = 0; k < got; ++k) {
      InterlockedIncrement(&fa.delivered[(uintptr_t)f.batch[k].apc]);
      fl_count();
    }
  }
  fa.stop = 1;
  for (i = 0; i < n; ++i) {
    WaitForSingleObject(threads[i], INFINITE);
    CloseHandle(threads[i]);
  }
  fl_rate_result("wakeups/s");
}

/* ---- sockets under AFD polls ------------------------------------------------------------ */

typedef struct fl_sock {
  fl_iosb iosb; /* the kernel's from submission until the packet is dequeued */
  fl_poll_info info;
  SOCKET s;
  HANDLE base;
  int role; /* 0 idle, 1 client, 2 server, 3 churn */
  int got;
} fl_sock;

static HANDLE fl_base_handle(SOCKET s) {
  SOCKET base = INVALID_SOCKET;
  DWORD bytes = 0;
  if (WSAIoctl(s, SIO_BASE_HANDLE, NULL, 0, &base, sizeof base, &bytes, NULL, NULL) != 0)
    return (HANDLE)s;
  return (HANDLE)base;
}

static void fl_arm(fl_sock* k) {
  fl_status st;
  k->info.timeout.QuadPart = INT64_MAX;
  k->info.number_of_handles = 1;
  k->info.exclusive = 0;
  k->info.handles[0].handle = k->base;
  k->info.handles[0].events =
      FL_AFD_RECEIVE | FL_AFD_DISCONNECT | FL_AFD_ABORT | FL_AFD_LOCAL_CLOSE;
  k->info.handles[0].status = 0;
  k->iosb.u.status = FL_STATUS_PENDING;
  st = nt.ioctl(f.helper, NULL, NULL, k, &k->iosb, FL_IOCTL_AFD_POLL, &k->info, sizeof k->info,
                &k->info, sizeof k->info);
  if (st < 0) bench_die("IOCTL_AFD_POLL: 0x%08lx", (unsigned long)st);
}

static const char kPing[BENCH_MSG_LEN] = "ping-0123456789";

/* A completed poll: what it reported, 0 if nothing (cancelled, or no events). */
static ULONG fl_events(const fl_sock* k) {
  if (k->iosb.u.status < 0 || k->info.number_of_handles < 1) return 0;
  return k->info.handles[0].events;
}

typedef struct fl_pair {
  fl_sock client, server;
} fl_pair;

static void fl_on_pingpong(fl_sock* k) {
  char buf[256];
  int n;
  ULONG ev = fl_events(k);
  if (ev & ~FL_AFD_RECEIVE) bench_die("unexpected AFD events 0x%lx", (unsigned long)ev);
  if (k->role == 0) bench_die("an idle socket reported 0x%lx", (unsigned long)ev);
  if (ev & FL_AFD_RECEIVE) {
    n = recv(k->s, buf, sizeof buf, 0);
    if (n > 0) {
      if (k->role == 2) {
        if (send(k->s, buf, n, 0) != n) bench_die("send(echo): %d", WSAGetLastError());
        if (!f.finished) f.halves++;
      } else {
        k->got += n;
        while (k->got >= BENCH_MSG_LEN) {
          k->got -= BENCH_MSG_LEN;
          if (!f.finished) f.halves++;
          fl_count();
          if (f.finished) return;
          if (send(k->s, kPing, BENCH_MSG_LEN, 0) != BENCH_MSG_LEN)
            bench_die("send(ping): %d", WSAGetLastError());
        }
      }
    } else if (n == 0 || WSAGetLastError() != WSAEWOULDBLOCK) {
      bench_die("recv: %d", n == 0 ? 0 : WSAGetLastError());
    }
  }
  fl_arm(k);
}

static void fl_pingpong(long npairs, long nidle) {
  struct sockaddr_in addr;
  SOCKET l;
  long i, made_idle = 0;
  fl_pair* pairs = calloc((size_t)npairs, sizeof *pairs);
  fl_sock* idle = nidle > 0 ? calloc((size_t)nidle, sizeof *idle) : NULL;
  double setup0 = bench_now_s();
  if (!pairs || (nidle > 0 && !idle)) bench_die("out of memory");
  fl_create_port();
  fl_create_helper();
  for (i = 0; i < nidle; ++i) {
    SOCKET s = bench_udp_socket();
    if (s == INVALID_SOCKET) break;
    idle[i].s = s;
    idle[i].base = fl_base_handle(s);
    idle[i].role = 0;
    fl_arm(&idle[i]);
    made_idle = i + 1;
  }
  l = bench_listener(&addr);
  for (i = 0; i < npairs; ++i) {
    fl_pair* p = &pairs[i];
    bench_tcp_pair(l, &addr, &p->client.s, &p->server.s);
    p->client.base = fl_base_handle(p->client.s);
    p->server.base = fl_base_handle(p->server.s);
    p->client.role = 1;
    p->server.role = 2;
    fl_arm(&p->client);
    fl_arm(&p->server);
  }
  closesocket(l);
  snprintf(f.extra, sizeof f.extra, "pairs=%ld idle=%ld setup_s=%.3f", npairs, made_idle,
           bench_now_s() - setup0);
  fl_begin();
  for (i = 0; i < npairs; ++i)
    if (send(pairs[i].client.s, kPing, BENCH_MSG_LEN, 0) != BENCH_MSG_LEN)
      bench_die("send(first ping): %d", WSAGetLastError());
  while (!f.finished) {
    ULONG k, got = fl_dequeue(fl_time_left());
    for (k = 0; k < got && !f.finished; ++k) fl_on_pingpong((fl_sock*)f.batch[k].apc);
  }
  /* Closing the sockets completes their polls (LOCAL_CLOSE); the process exits right after,
   * so their packets are left in the port, which goes with the process. */
  for (i = 0; i < npairs; ++i) {
    closesocket(pairs[i].client.s);
    closesocket(pairs[i].server.s);
  }
  for (i = 0; i < made_idle; ++i) closesocket(idle[i].s);
  if (nidle > 0) f.args.n = made_idle;
  fl_rate_result("roundtrips/s");
}

/* ---- churn ------------------------------------------------------------------------------ */

static void fl_churn(void) {
  struct sockaddr_in addr;
  SOCKET l, server, last = INVALID_SOCKET;
  fl_sock k;
  long long reused = 0;
  fl_create_port();
  fl_create_helper();
  l = bench_listener(&addr);
  fl_begin();
  while (!f.finished) {
    char buf[256];
    int done = 0;
    memset(&k, 0, sizeof k);
    bench_tcp_pair(l, &addr, &k.s, &server);
    if (k.s == last) reused++;
    last = k.s;
    k.base = fl_base_handle(k.s);
    k.role = 3;
    fl_arm(&k);
    if (send(server, kPing, BENCH_MSG_LEN, 0) != BENCH_MSG_LEN)
      bench_die("send(churn): %d", WSAGetLastError());
    while (!done) {
      ULONG i, got = fl_dequeue(INFINITE);
      for (i = 0; i < got; ++i) {
        int n;
        if (f.batch[i].apc != &k) bench_die("churn: a stray packet");
        if (!(fl_events(&k) & FL_AFD_RECEIVE)) bench_die("churn: no RECEIVE");
        n = recv(k.s, buf, sizeof buf, 0);
        k.got += n > 0 ? n : 0;
        if (k.got >= BENCH_MSG_LEN) done = 1;
        else fl_arm(&k);
      }
    }
    closesocket(k.s);
    closesocket(server);
    fl_count();
    fl_time_left();
  }
  closesocket(l);
  snprintf(f.extra, sizeof f.extra, "same_socket_value=%.3f",
           f.events > 1 ? (double)reused / (double)f.events : 0.0);
  fl_rate_result("cycles/s");
}

/* ---- memory ----------------------------------------------------------------------------- */

static void fl_memory(void) {
  long n = f.args.n < 1 ? 1 : f.args.n, made = 0, i;
  SOCKET* socks = calloc((size_t)n, sizeof *socks);
  fl_sock* k;
  double p0, p1, c0, c1, t0;
  const char* source = "none";
  if (!socks) bench_die("out of memory");
  fl_create_port();
  fl_create_helper();
  for (i = 0; i < n; ++i) {
    socks[i] = bench_udp_socket();
    if (socks[i] == INVALID_SOCKET) break;
    made = i + 1;
  }
  { /* warm up: one poll armed and completed by a close */
    fl_sock w;
    memset(&w, 0, sizeof w);
    w.s = bench_udp_socket();
    w.base = fl_base_handle(w.s);
    fl_arm(&w);
    closesocket(w.s);
    while (fl_dequeue(1000) == 0) {
    }
  }
  t0 = bench_now_s();
  p0 = bench_private_bytes(&source);
  c0 = bench_committed_bytes();
  k = calloc((size_t)(made ? made : 1), sizeof *k);
  if (!k) bench_die("out of memory");
  for (i = 0; i < made; ++i) {
    k[i].s = socks[i];
    k[i].base = fl_base_handle(socks[i]);
    fl_arm(&k[i]);
  }
  p1 = bench_private_bytes(&source);
  c1 = bench_committed_bytes();
  for (i = 0; i < made; ++i) closesocket(socks[i]);
  snprintf(f.extra, sizeof f.extra,
           "source=%s private_before=%.0f private_after=%.0f per_socket_struct=%u committed=%.3f",
           source, p0, p1, (unsigned)sizeof(fl_sock), made ? (c1 - c0) / (double)made : 0);
  bench_result("floor", "memory", made, made ? (p1 - p0) / (double)made : 0, "bytes/handle", made,
               bench_now_s() - t0, f.extra);
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &f.args, 1);
  bench_wsa_init();
  fl_load_ntdll();
  if (!strcmp(f.args.scenario, "async")) {
    fl_async();
  } else if (!strcmp(f.args.scenario, "pingpong")) {
    fl_pingpong(f.args.n < 1 ? 1 : f.args.n, 0);
  } else if (!strcmp(f.args.scenario, "idle")) {
    long nidle = f.args.n < 0 ? 0 : f.args.n;
    f.args.n = nidle;
    fl_pingpong(1, nidle);
  } else if (!strcmp(f.args.scenario, "churn")) {
    fl_churn();
  } else if (!strcmp(f.args.scenario, "memory")) {
    fl_memory();
  } else if (!strcmp(f.args.scenario, "close")) {
    /* no floor: see the header comment */
  } else {
    bench_die("unknown scenario '%s'", f.args.scenario);
  }
  if (f.helper) nt.close(f.helper);
  if (f.port) nt.close(f.port);
  WSACleanup();
  return 0;
}
