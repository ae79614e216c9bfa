/* Shared by bench_uv.c (the libuv program) and bench_floor.c (raw ntdll): argument parsing,
 * loopback sockets, the process's private bytes and the result line. Header-only (static
 * functions) so that each program stays one translation unit plus this file. */
#ifndef UVAFD_BENCH_COMMON_H_
#define UVAFD_BENCH_COMMON_H_

#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <psapi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_MSG_LEN 16 /* bytes per ping and per pong */

static void bench_die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "bench: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  fflush(stdout);
  fflush(stderr);
  ExitProcess(2);
}

/* Command line: SCENARIO SECONDS [N] [MAX_EVENTS]. The run stops when SECONDS have passed or,
 * if MAX_EVENTS > 0, when that many events have been counted (used to count kernel calls over
 * a fixed number of events). */
typedef struct bench_args {
  const char* scenario;
  double seconds;
  long n;
  long long max_events;
} bench_args;

static void bench_parse(int argc, char** argv, bench_args* a, long default_n) {
  if (argc < 3) {
    fprintf(stderr,
            "usage: %s SCENARIO SECONDS [N] [MAX_EVENTS]\n"
            "  async N      N sender threads, one uv_async_t each (wakeups/s)\n"
            "  pingpong N   N loopback TCP pairs under uv_poll_t (round trips/s)\n"
            "  churn        socket, poll start, one message, close (cycles/s)\n"
            "  close        uv_close on a handle whose poll is in flight (us, iterations)\n"
            "  idle N       one pair's ping-pong beside N idle polled sockets (round trips/s)\n"
            "  memory N     private bytes per registered poll handle, N handles\n"
            "  memory_async N  private bytes per uv_async_t, N handles (bench_uv only)\n"
            "  tcp N        N loopback pairs of libuv's own uv_tcp_t (round trips/s)\n",
            argv[0]);
    ExitProcess(2);
  }
  a->scenario = argv[1];
  a->seconds = atof(argv[2]);
  if (a->seconds <= 0) a->seconds = 1;
  a->n = argc > 3 ? atol(argv[3]) : default_n;
  a->max_events = argc > 4 ? atoll(argv[4]) : 0;
}

static void bench_wsa_init(void) {
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) bench_die("WSAStartup failed");
}

static double bench_now_s(void) {
  static LARGE_INTEGER freq;
  LARGE_INTEGER c;
  if (!freq.QuadPart) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&c);
  return (double)c.QuadPart / (double)freq.QuadPart;
}

/* CPU time the process has used (user + kernel, all threads), in seconds. */
static double bench_cpu_s(void) {
  FILETIME created, exited, kernel, user;
  ULARGE_INTEGER k, u;
  if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user)) return 0;
  k.LowPart = kernel.dwLowDateTime;
  k.HighPart = kernel.dwHighDateTime;
  u.LowPart = user.dwLowDateTime;
  u.HighPart = user.dwHighDateTime;
  return (double)(k.QuadPart + u.QuadPart) / 1e7;
}

/* A listening TCP socket on 127.0.0.1 (ephemeral port); *addr receives its address. */
static SOCKET bench_listener(struct sockaddr_in* addr) {
  int len = sizeof *addr;
  SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (l == INVALID_SOCKET) bench_die("socket(listener): %d", WSAGetLastError());
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l, (struct sockaddr*)addr, sizeof *addr) != 0 || listen(l, SOMAXCONN) != 0 ||
      getsockname(l, (struct sockaddr*)addr, &len) != 0)
    bench_die("bind/listen on 127.0.0.1: %d", WSAGetLastError());
  return l;
}

static void bench_nodelay_nonblock(SOCKET s) {
  BOOL yes = TRUE;
  u_long nb = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char*)&yes, sizeof yes);
  if (ioctlsocket(s, FIONBIO, &nb) != 0) bench_die("ioctlsocket(FIONBIO): %d", WSAGetLastError());
}

/* A connected loopback TCP pair through listener l: *client is the connecting end, *server the
 * accepted one. Blocking connect/accept (loopback completes at once), then non-blocking with
 * TCP_NODELAY. */
static void bench_tcp_pair(SOCKET l, const struct sockaddr_in* addr, SOCKET* client,
                           SOCKET* server) {
  SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  SOCKET s;
  if (c == INVALID_SOCKET) bench_die("socket(client): %d", WSAGetLastError());
  if (connect(c, (const struct sockaddr*)addr, sizeof *addr) != 0)
    bench_die("connect: %d", WSAGetLastError());
  s = accept(l, NULL, NULL);
  if (s == INVALID_SOCKET) bench_die("accept: %d", WSAGetLastError());
  bench_nodelay_nonblock(c);
  bench_nodelay_nonblock(s);
  *client = c;
  *server = s;
}

/* A UDP socket bound to 127.0.0.1: never readable unless someone sends to it (idle sockets). */
static SOCKET bench_udp_socket(void) {
  struct sockaddr_in a;
  SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  if (s == INVALID_SOCKET) return INVALID_SOCKET;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr*)&a, sizeof a) != 0) {
    closesocket(s);
    return INVALID_SOCKET;
  }
  return s;
}

/* The process's private bytes: PROCESS_MEMORY_COUNTERS_EX.PrivateUsage where the system fills
 * it in (Windows). Wine 8 leaves PrivateUsage at 0 and fills PagefileUsage (on Windows the same
 * commit charge) from the Linux process's RssAnon + VmSwap: its private anonymous memory.
 * *source names the field that was read. */
static double bench_private_bytes(const char** source) {
  PROCESS_MEMORY_COUNTERS_EX pmc;
  memset(&pmc, 0, sizeof pmc);
  pmc.cb = sizeof pmc;
  *source = "none";
  if (!K32GetProcessMemoryInfo(GetCurrentProcess(), (PROCESS_MEMORY_COUNTERS*)&pmc, sizeof pmc))
    return -1;
  if (pmc.PrivateUsage > 0) {
    *source = "PrivateUsage";
    return (double)pmc.PrivateUsage;
  }
  *source = "PagefileUsage";
  return (double)pmc.PagefileUsage;
}

/* The process's committed private memory, as Windows charges it: the regions VirtualQuery
 * reports MEM_COMMIT and MEM_PRIVATE, touched or not. On Windows this is what PrivateUsage
 * counts; under Wine, which reads PagefileUsage from the pages actually touched, it is the
 * only way to see memory a library commits ahead (a reserved std::vector, a heap it grew)
 * without writing it. */
static double bench_committed_bytes(void) {
  MEMORY_BASIC_INFORMATION mbi;
  const char* p = NULL;
  double total = 0;
  while (VirtualQuery(p, &mbi, sizeof mbi) == sizeof mbi) {
    const char* next = (const char*)mbi.BaseAddress + mbi.RegionSize;
    if (mbi.State == MEM_COMMIT && mbi.Type == MEM_PRIVATE) total += (double)mbi.RegionSize;
    if (next <= p) break; /* the top of the address space */
    p = next;
  }
  return total;
}

/* The one machine-readable line: "result lib=... scenario=... n=... value=... unit=... ...". */
static void bench_result(const char* lib, const char* scenario, long n, double value,
                         const char* unit, long long events, double seconds, const char* extra) {
  printf("result lib=%s scenario=%s n=%ld value=%.3f unit=%s events=%lld seconds=%.3f "
         "pid=%04lx%s%s\n",
         lib, scenario, n, value, unit, events, seconds, (unsigned long)GetCurrentProcessId(),
         extra && *extra ? " " : "", extra ? extra : "");
  fflush(stdout);
}

/* Appends " cpu_s=... cpu_us_per_event=..." (this process only; the wineserver's CPU time is
 * not in it) to extra. */
static void bench_cpu_note(char* extra, size_t size, double cpu_s, double events) {
  size_t len = strlen(extra);
  if (len + 1 >= size) return;
  snprintf(extra + len, size - len, "%scpu_s=%.3f cpu_us_per_event=%.2f", len ? " " : "", cpu_s,
           events > 0 ? cpu_s * 1e6 / events : 0.0);
  fflush(stdout);
}

#endif /* UVAFD_BENCH_COMMON_H_ */
