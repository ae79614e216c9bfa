// libuv's loop-independent utilities on uvafd, under Wine: error names and messages, Win32/WSA
// error translation, threads and synchronisation, time, IP address text, version, environment
// and the replaceable allocator.
#include <catch.hpp>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "uv.h"

#include <iphlpapi.h>  // if_indextoname, to find a real interface name

#include "allocator.h"  // compat's internal allocation entry points (compat/src is on the path)

namespace {

constexpr uint64_t kMs = 1000000;  // nanoseconds per millisecond

// Runs fn(i) on `count` uv threads and joins them all.
template <typename Fn>
void run_threads(int count, Fn fn) {
  struct Arg {
    Fn* fn;
    int index;
  };
  std::vector<Arg> args(count);
  std::vector<uv_thread_t> tids(count);
  for (int i = 0; i < count; ++i) {
    args[i] = Arg{&fn, i};
    REQUIRE(uv_thread_create(
                &tids[i], [](void* p) { (*static_cast<Arg*>(p)->fn)(static_cast<Arg*>(p)->index); },
                &args[i]) == 0);
  }
  for (int i = 0; i < count; ++i) REQUIRE(uv_thread_join(&tids[i]) == 0);
}

// Runs fn() on one uv thread and joins it.
template <typename Fn>
void on_other_thread(Fn fn) {
  run_threads(1, [&](int) { fn(); });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

TEST_CASE("compat util: uv_err_name and uv_strerror for known codes", "[compat][errors]") {
  CHECK(std::string(uv_err_name(UV_EINVAL)) == "EINVAL");
  CHECK(std::string(uv_strerror(UV_EINVAL)) == "invalid argument");
  CHECK(std::string(uv_err_name(UV_ENOENT)) == "ENOENT");
  CHECK(std::string(uv_strerror(UV_ENOENT)) == "no such file or directory");
  CHECK(std::string(uv_err_name(UV_EOF)) == "EOF");
  CHECK(std::string(uv_strerror(UV_EOF)) == "end of file");
  CHECK(std::string(uv_err_name(UV_ECONNREFUSED)) == "ECONNREFUSED");
  CHECK(std::string(uv_strerror(UV_ECONNREFUSED)) == "connection refused");
  CHECK(std::string(uv_err_name(UV_EAI_NONAME)) == "EAI_NONAME");
  CHECK(std::string(uv_err_name(UV_UNKNOWN)) == "UNKNOWN");
  CHECK(std::string(uv_strerror(UV_UNKNOWN)) == "unknown error");
  CHECK(std::string(uv_err_name(UV_ESOCKTNOSUPPORT)) == "ESOCKTNOSUPPORT");
}

TEST_CASE("compat util: unknown codes get an 'Unknown system error N' text", "[compat][errors]") {
  CHECK(std::string(uv_err_name(-1234)) == "Unknown system error -1234");
  CHECK(std::string(uv_strerror(-1234)) == "Unknown system error -1234");
  CHECK(std::string(uv_err_name(0)) == "Unknown system error 0");
  CHECK(std::string(uv_strerror(777)) == "Unknown system error 777");
  // Two unknown names in one expression both stay intact.
  const char* a = uv_err_name(-1111);
  const char* b = uv_err_name(-2222);
  CHECK(std::string(a) == "Unknown system error -1111");
  CHECK(std::string(b) == "Unknown system error -2222");
}

TEST_CASE("compat util: uv_err_name_r and uv_strerror_r copy and truncate", "[compat][errors]") {
  char buf[64];
  CHECK(uv_err_name_r(UV_EADDRINUSE, buf, sizeof buf) == buf);
  CHECK(std::string(buf) == "EADDRINUSE");
  CHECK(uv_strerror_r(UV_EADDRINUSE, buf, sizeof buf) == buf);
  CHECK(std::string(buf) == "address already in use");

  char small[5];
  uv_err_name_r(UV_EADDRINUSE, small, sizeof small);
  CHECK(std::string(small) == "EADD");
  uv_strerror_r(UV_EADDRINUSE, small, sizeof small);
  CHECK(std::string(small) == "addr");
  uv_err_name_r(-4242, small, sizeof small);
  CHECK(std::string(small) == "Unkn");
  uv_strerror_r(-4242, buf, sizeof buf);
  CHECK(std::string(buf) == "Unknown system error -4242");
  uv_err_name_r(-4242, buf, sizeof buf);
  CHECK(std::string(buf) == "Unknown system error -4242");

  char one[1] = {'x'};
  uv_strerror_r(UV_EINVAL, one, sizeof one);
  CHECK(one[0] == '\0');

  char untouched[4] = {'a', 'b', 'c', '\0'};
  uv_err_name_r(UV_EINVAL, untouched, 0);
  uv_strerror_r(UV_EINVAL, untouched, 0);
  CHECK(std::string(untouched) == "abc");
}

TEST_CASE("compat util: uv_translate_sys_error maps Win32 and WSA codes as libuv does",
          "[compat][errors]") {
  CHECK(uv_translate_sys_error(ERROR_FILE_NOT_FOUND) == UV_ENOENT);
  CHECK(uv_translate_sys_error(ERROR_PATH_NOT_FOUND) == UV_ENOENT);
  CHECK(uv_translate_sys_error(ERROR_ENVVAR_NOT_FOUND) == UV_ENOENT);
  CHECK(uv_translate_sys_error(ERROR_ACCESS_DENIED) == UV_EPERM);  // libuv's choice
  CHECK(uv_translate_sys_error(ERROR_NOACCESS) == UV_EACCES);
  CHECK(uv_translate_sys_error(WSAEACCES) == UV_EACCES);
  CHECK(uv_translate_sys_error(WSAECONNREFUSED) == UV_ECONNREFUSED);
  CHECK(uv_translate_sys_error(ERROR_CONNECTION_REFUSED) == UV_ECONNREFUSED);
  CHECK(uv_translate_sys_error(WSAEWOULDBLOCK) == UV_EAGAIN);
  CHECK(uv_translate_sys_error(WSAECONNRESET) == UV_ECONNRESET);
  CHECK(uv_translate_sys_error(ERROR_NETNAME_DELETED) == UV_ECONNRESET);
  CHECK(uv_translate_sys_error(WSAEADDRINUSE) == UV_EADDRINUSE);
  CHECK(uv_translate_sys_error(WSAEINTR) == UV_ECANCELED);  // libuv's choice
  CHECK(uv_translate_sys_error(ERROR_OPERATION_ABORTED) == UV_ECANCELED);
  CHECK(uv_translate_sys_error(ERROR_BROKEN_PIPE) == UV_EOF);
  CHECK(uv_translate_sys_error(ERROR_NO_DATA) == UV_EPIPE);
  CHECK(uv_translate_sys_error(ERROR_INVALID_HANDLE) == UV_EBADF);
  CHECK(uv_translate_sys_error(ERROR_INVALID_PARAMETER) == UV_EINVAL);
  CHECK(uv_translate_sys_error(ERROR_NOT_ENOUGH_MEMORY) == UV_ENOMEM);
  CHECK(uv_translate_sys_error(ERROR_ALREADY_EXISTS) == UV_EEXIST);
  CHECK(uv_translate_sys_error(ERROR_DIR_NOT_EMPTY) == UV_ENOTEMPTY);
  CHECK(uv_translate_sys_error(ERROR_INVALID_FUNCTION) == UV_EISDIR);  // libuv's choice
  CHECK(uv_translate_sys_error(WSAETIMEDOUT) == UV_ETIMEDOUT);
  CHECK(uv_translate_sys_error(WSAENOTSOCK) == UV_ENOTSOCK);
  CHECK(uv_translate_sys_error(WSAEMSGSIZE) == UV_EMSGSIZE);
  CHECK(uv_translate_sys_error(WSAESOCKTNOSUPPORT) == UV_ESOCKTNOSUPPORT);
  CHECK(uv_translate_sys_error(WSAHOST_NOT_FOUND) == UV_ENOENT);
  CHECK(uv_translate_sys_error(ERROR_SHARING_VIOLATION) == UV_EBUSY);
  CHECK(uv_translate_sys_error(ERROR_NO_UNICODE_TRANSLATION) == UV_ECHARSET);
  // Unknown positive codes, zero and libuv codes.
  CHECK(uv_translate_sys_error(99999) == UV_UNKNOWN);
  CHECK(uv_translate_sys_error(0) == 0);
  CHECK(uv_translate_sys_error(UV_EINVAL) == UV_EINVAL);
  CHECK(uv_translate_sys_error(-123456) == -123456);
}

// ---------------------------------------------------------------------------------------------
// Threads
// ---------------------------------------------------------------------------------------------

TEST_CASE("compat util: uv_thread_create runs the entry and uv_thread_join waits for it",
          "[compat][threads]") {
  struct State {
    std::atomic<int> value{0};
  } state;
  uv_thread_t tid;
  REQUIRE(uv_thread_create(
              &tid,
              [](void* p) {
                uv_sleep(20);
                static_cast<State*>(p)->value = 42;
              },
              &state) == 0);
  REQUIRE(uv_thread_join(&tid) == 0);
  CHECK(state.value == 42);  // join did not return before the thread finished
}

TEST_CASE("compat util: uv_thread_create_ex honours stack_size and rejects bad sizes",
          "[compat][threads]") {
  uv_thread_options_t options;
  options.flags = UV_THREAD_HAS_STACK_SIZE;
  options.stack_size = 1024 * 1024 + 1;  // rounded up to a page

  struct State {
    std::atomic<int> sum{0};
  } state;
  uv_thread_t tid;
  REQUIRE(uv_thread_create_ex(
              &tid, &options,
              [](void* p) {
                volatile char big[512 * 1024];  // needs more than a small default would allow
                for (size_t i = 0; i < sizeof big; i += 4096) big[i] = 1;
                int sum = 0;
                for (size_t i = 0; i < sizeof big; i += 4096) sum += big[i];
                static_cast<State*>(p)->sum = sum;
              },
              &state) == 0);
  REQUIRE(uv_thread_join(&tid) == 0);
  CHECK(state.sum == 128);

  // More stack than the executable's default (2 MiB with mingw-w64's linker): only works if the
  // requested size really is the thread's stack reservation.
  options.stack_size = 8 * 1024 * 1024;
  REQUIRE(uv_thread_create_ex(
              &tid, &options,
              [](void* p) {
                volatile char big[6 * 1024 * 1024];
                for (size_t i = 0; i < sizeof big; i += 4096) big[i] = 2;
                int sum = 0;
                for (size_t i = 0; i < sizeof big; i += 4096) sum += big[i];
                static_cast<State*>(p)->sum = sum;
              },
              &state) == 0);
  REQUIRE(uv_thread_join(&tid) == 0);
  CHECK(state.sum == 2 * 1536);

  // A tiny request is raised to a workable minimum rather than crashing the thread.
  options.stack_size = 1;
  REQUIRE(uv_thread_create_ex(
              &tid, &options, [](void* p) { static_cast<State*>(p)->sum = 7; }, &state) == 0);
  REQUIRE(uv_thread_join(&tid) == 0);
  CHECK(state.sum == 7);

  // Sizes _beginthreadex cannot express are invalid.
  options.stack_size = static_cast<size_t>(-1);
  CHECK(uv_thread_create_ex(&tid, &options, [](void*) {}, nullptr) == UV_EINVAL);
  options.stack_size = static_cast<size_t>(1) << 33;
  CHECK(uv_thread_create_ex(&tid, &options, [](void*) {}, nullptr) == UV_EINVAL);

  // Without the flag, stack_size is ignored.
  options.flags = UV_THREAD_NO_FLAGS;
  REQUIRE(uv_thread_create_ex(
              &tid, &options, [](void* p) { static_cast<State*>(p)->sum = 9; }, &state) == 0);
  REQUIRE(uv_thread_join(&tid) == 0);
  CHECK(state.sum == 9);
}

TEST_CASE("compat util: uv_thread_self and uv_thread_equal", "[compat][threads]") {
  uv_thread_t main_self = uv_thread_self();
  uv_thread_t main_again = uv_thread_self();
  REQUIRE(main_self != nullptr);
  CHECK(uv_thread_equal(&main_self, &main_again) == 1);
  CHECK(GetThreadId(main_self) == GetCurrentThreadId());  // a real handle, not a pseudo-handle

  struct State {
    uv_thread_t* tid;
    uv_thread_t main;
    int equals_tid = -1;
    int equals_main = -1;
    DWORD id_via_self = 0;
    DWORD id = 0;
  } state;
  uv_thread_t tid;
  state.tid = &tid;
  state.main = main_self;
  REQUIRE(uv_thread_create(
              &tid,
              [](void* p) {
                auto* s = static_cast<State*>(p);
                uv_thread_t self = uv_thread_self();
                s->equals_tid = uv_thread_equal(&self, s->tid);
                s->equals_main = uv_thread_equal(&self, &s->main);
                s->id_via_self = GetThreadId(self);
                s->id = GetCurrentThreadId();
              },
              &state) == 0);
  uv_thread_t copy = tid;
  REQUIRE(uv_thread_join(&tid) == 0);
  CHECK(state.equals_tid == 1);  // the thread's self is the handle its creator got
  CHECK(state.equals_main == 0);
  CHECK(state.id_via_self == state.id);
  CHECK(state.id != GetCurrentThreadId());
  (void)copy;
}

TEST_CASE("compat util: mutexes lock, trylock and recurse", "[compat][threads]") {
  uv_mutex_t mutex;
  REQUIRE(uv_mutex_init(&mutex) == 0);
  uv_mutex_lock(&mutex);
  int other = 1;
  on_other_thread([&] { other = uv_mutex_trylock(&mutex); });
  CHECK(other == UV_EBUSY);
  uv_mutex_unlock(&mutex);
  on_other_thread([&] {
    other = uv_mutex_trylock(&mutex);
    if (other == 0) uv_mutex_unlock(&mutex);
  });
  CHECK(other == 0);
  CHECK(uv_mutex_trylock(&mutex) == 0);
  uv_mutex_unlock(&mutex);
  uv_mutex_destroy(&mutex);

  uv_mutex_t recursive;
  REQUIRE(uv_mutex_init_recursive(&recursive) == 0);
  uv_mutex_lock(&recursive);
  uv_mutex_lock(&recursive);
  CHECK(uv_mutex_trylock(&recursive) == 0);
  uv_mutex_unlock(&recursive);
  uv_mutex_unlock(&recursive);
  on_other_thread([&] { other = uv_mutex_trylock(&recursive); });
  CHECK(other == UV_EBUSY);  // still held once
  uv_mutex_unlock(&recursive);
  on_other_thread([&] {
    other = uv_mutex_trylock(&recursive);
    if (other == 0) uv_mutex_unlock(&recursive);
  });
  CHECK(other == 0);
  uv_mutex_destroy(&recursive);
}

TEST_CASE("compat util: mutexes exclude each other across threads", "[compat][threads]") {
  uv_mutex_t mutex;
  REQUIRE(uv_mutex_init(&mutex) == 0);
  long counter = 0;
  run_threads(4, [&](int) {
    for (int i = 0; i < 20000; ++i) {
      uv_mutex_lock(&mutex);
      long v = counter;
      counter = v + 1;
      uv_mutex_unlock(&mutex);
    }
  });
  CHECK(counter == 80000);
  uv_mutex_destroy(&mutex);
}

TEST_CASE("compat util: rwlocks share reads and exclude writes", "[compat][threads]") {
  uv_rwlock_t lock;
  REQUIRE(uv_rwlock_init(&lock) == 0);

  uv_rwlock_rdlock(&lock);
  int try_read = 1, try_write = 1;
  on_other_thread([&] {
    try_read = uv_rwlock_tryrdlock(&lock);
    if (try_read == 0) uv_rwlock_rdunlock(&lock);
    try_write = uv_rwlock_trywrlock(&lock);
    if (try_write == 0) uv_rwlock_wrunlock(&lock);
  });
  CHECK(try_read == 0);
  CHECK(try_write == UV_EBUSY);
  uv_rwlock_rdunlock(&lock);

  uv_rwlock_wrlock(&lock);
  on_other_thread([&] {
    try_read = uv_rwlock_tryrdlock(&lock);
    if (try_read == 0) uv_rwlock_rdunlock(&lock);
    try_write = uv_rwlock_trywrlock(&lock);
    if (try_write == 0) uv_rwlock_wrunlock(&lock);
  });
  CHECK(try_read == UV_EBUSY);
  CHECK(try_write == UV_EBUSY);
  uv_rwlock_wrunlock(&lock);

  CHECK(uv_rwlock_trywrlock(&lock) == 0);
  uv_rwlock_wrunlock(&lock);
  uv_rwlock_destroy(&lock);
}

TEST_CASE("compat util: semaphores count posts and waits", "[compat][threads]") {
  uv_sem_t sem;
  REQUIRE(uv_sem_init(&sem, 0) == 0);
  CHECK(uv_sem_trywait(&sem) == UV_EAGAIN);
  uv_sem_post(&sem);
  uv_sem_post(&sem);
  CHECK(uv_sem_trywait(&sem) == 0);
  CHECK(uv_sem_trywait(&sem) == 0);
  CHECK(uv_sem_trywait(&sem) == UV_EAGAIN);

  // A producer thread; the consumer blocks in uv_sem_wait.
  std::atomic<int> produced{0};
  uv_thread_t producer;
  struct Arg {
    uv_sem_t* sem;
    std::atomic<int>* produced;
  } arg{&sem, &produced};
  REQUIRE(uv_thread_create(
              &producer,
              [](void* p) {
                auto* a = static_cast<Arg*>(p);
                for (int i = 0; i < 3; ++i) {
                  uv_sleep(5);
                  ++*a->produced;
                  uv_sem_post(a->sem);
                }
              },
              &arg) == 0);
  for (int i = 1; i <= 3; ++i) {
    uv_sem_wait(&sem);
    CHECK(produced.load() >= i);
  }
  REQUIRE(uv_thread_join(&producer) == 0);
  CHECK(uv_sem_trywait(&sem) == UV_EAGAIN);
  uv_sem_destroy(&sem);

  uv_sem_t preset;
  REQUIRE(uv_sem_init(&preset, 2) == 0);
  CHECK(uv_sem_trywait(&preset) == 0);
  CHECK(uv_sem_trywait(&preset) == 0);
  CHECK(uv_sem_trywait(&preset) == UV_EAGAIN);
  uv_sem_destroy(&preset);
}

TEST_CASE("compat util: condition variables time out and wake", "[compat][threads]") {
  uv_mutex_t mutex;
  uv_cond_t cond;
  REQUIRE(uv_mutex_init(&mutex) == 0);
  REQUIRE(uv_cond_init(&cond) == 0);

  uv_mutex_lock(&mutex);
  uint64_t start = uv_hrtime();
  CHECK(uv_cond_timedwait(&cond, &mutex, 30 * kMs) == UV_ETIMEDOUT);
  uint64_t elapsed = uv_hrtime() - start;
  CHECK(elapsed >= 25 * kMs);  // allow for timer granularity
  // The mutex is held again after the timeout.
  int other = 0;
  on_other_thread([&] { other = uv_mutex_trylock(&mutex); });
  CHECK(other == UV_EBUSY);
  uv_mutex_unlock(&mutex);

  // Signalled before the deadline.
  bool ready = false;
  struct Arg {
    uv_mutex_t* mutex;
    uv_cond_t* cond;
    bool* ready;
  } arg{&mutex, &cond, &ready};
  uv_thread_t tid;
  uv_mutex_lock(&mutex);
  REQUIRE(uv_thread_create(
              &tid,
              [](void* p) {
                auto* a = static_cast<Arg*>(p);
                uv_sleep(10);
                uv_mutex_lock(a->mutex);
                *a->ready = true;
                uv_cond_signal(a->cond);
                uv_mutex_unlock(a->mutex);
              },
              &arg) == 0);
  int r = 0;
  while (!ready && r == 0) r = uv_cond_timedwait(&cond, &mutex, 5000 * kMs);
  CHECK(r == 0);
  CHECK(ready);
  uv_mutex_unlock(&mutex);
  REQUIRE(uv_thread_join(&tid) == 0);

  // Broadcast wakes every waiter.
  int woken = 0;
  bool go = false;
  struct Arg2 {
    uv_mutex_t* mutex;
    uv_cond_t* cond;
    bool* go;
    int* woken;
  } arg2{&mutex, &cond, &go, &woken};
  uv_thread_t waiters[3];
  for (auto& w : waiters)
    REQUIRE(uv_thread_create(
                &w,
                [](void* p) {
                  auto* a = static_cast<Arg2*>(p);
                  uv_mutex_lock(a->mutex);
                  while (!*a->go) uv_cond_wait(a->cond, a->mutex);
                  ++*a->woken;
                  uv_mutex_unlock(a->mutex);
                },
                &arg2) == 0);
  uv_sleep(20);
  uv_mutex_lock(&mutex);
  go = true;
  uv_cond_broadcast(&cond);
  uv_mutex_unlock(&mutex);
  for (auto& w : waiters) REQUIRE(uv_thread_join(&w) == 0);
  CHECK(woken == 3);

  uv_cond_destroy(&cond);
  uv_mutex_destroy(&mutex);
}

TEST_CASE("compat util: a barrier of 4 threads holds every round together", "[compat][threads]") {
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  uv_barrier_t barrier;
  REQUIRE(uv_barrier_init(&barrier, kThreads) == 0);
  std::atomic<int> arrivals[kRounds];
  for (auto& a : arrivals) a = 0;
  std::atomic<int> serializers{0};
  std::atomic<int> early{0};  // a thread left a round before everyone had arrived

  run_threads(kThreads, [&](int) {
    for (int round = 0; round < kRounds; ++round) {
      ++arrivals[round];
      int r = uv_barrier_wait(&barrier);
      if (arrivals[round].load() != kThreads) ++early;
      if (r > 0) ++serializers;
    }
  });
  CHECK(early == 0);
  CHECK(serializers == kRounds);  // exactly one serializer per round
  uv_barrier_destroy(&barrier);

  CHECK(uv_barrier_init(&barrier, 0) == UV_EINVAL);

  // A barrier of one never blocks and always elects its only thread.
  REQUIRE(uv_barrier_init(&barrier, 1) == 0);
  CHECK(uv_barrier_wait(&barrier) > 0);
  CHECK(uv_barrier_wait(&barrier) > 0);
  uv_barrier_destroy(&barrier);
}

TEST_CASE("compat util: the serializer may destroy the barrier at once", "[compat][threads]") {
  // libuv's documented idiom: if (uv_barrier_wait(b) > 0) uv_barrier_destroy(b);
  for (int iteration = 0; iteration < 50; ++iteration) {
    auto* barrier = new uv_barrier_t;
    REQUIRE(uv_barrier_init(barrier, 4) == 0);
    std::atomic<int> serializers{0};
    run_threads(4, [&](int) {
      if (uv_barrier_wait(barrier) > 0) {
        ++serializers;
        uv_barrier_destroy(barrier);
        delete barrier;
      }
    });
    CHECK(serializers == 1);
  }
}

namespace {
std::atomic<int> g_once_calls{0};
uv_once_t g_once_guard = UV_ONCE_INIT;
void once_callback() {
  uv_sleep(30);  // make the losers of the race wait
  ++g_once_calls;
}
}  // namespace

TEST_CASE("compat util: uv_once runs the callback once for 8 racing threads",
          "[compat][threads]") {
  uv_barrier_t start;
  REQUIRE(uv_barrier_init(&start, 8) == 0);
  std::atomic<int> seen_after[8];
  run_threads(8, [&](int i) {
    uv_barrier_wait(&start);
    uv_once(&g_once_guard, once_callback);
    seen_after[i] = g_once_calls.load();  // the callback had completed before uv_once returned
  });
  uv_barrier_destroy(&start);
  CHECK(g_once_calls == 1);
  for (auto& seen : seen_after) CHECK(seen.load() == 1);
  uv_once(&g_once_guard, once_callback);
  CHECK(g_once_calls == 1);
}

TEST_CASE("compat util: uv_key values are per thread", "[compat][threads]") {
  uv_key_t key;
  REQUIRE(uv_key_create(&key) == 0);
  CHECK(uv_key_get(&key) == nullptr);
  int main_value = 1, other_value = 2;
  uv_key_set(&key, &main_value);

  void* initial = reinterpret_cast<void*>(1);
  void* after_set = nullptr;
  on_other_thread([&] {
    initial = uv_key_get(&key);
    uv_key_set(&key, &other_value);
    after_set = uv_key_get(&key);
  });
  CHECK(initial == nullptr);
  CHECK(after_set == &other_value);
  CHECK(uv_key_get(&key) == &main_value);

  // uv_key_get does not disturb the thread's last error.
  SetLastError(ERROR_FILE_NOT_FOUND);
  uv_key_set(&key, nullptr);
  SetLastError(ERROR_FILE_NOT_FOUND);
  CHECK(uv_key_get(&key) == nullptr);
  CHECK(GetLastError() == ERROR_FILE_NOT_FOUND);
  uv_key_delete(&key);
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

TEST_CASE("compat util: uv_hrtime is monotonic nanoseconds", "[compat][time]") {
  uint64_t previous = uv_hrtime();
  CHECK(previous > 0);
  bool monotonic = true;
  for (int i = 0; i < 100000; ++i) {
    uint64_t now = uv_hrtime();
    if (now < previous) monotonic = false;
    previous = now;
  }
  CHECK(monotonic);

  uint64_t before = uv_hrtime();
  uv_sleep(50);
  uint64_t slept = uv_hrtime() - before;
  CHECK(slept >= 45 * kMs);
  CHECK(slept < 2000 * kMs);
}

// ---------------------------------------------------------------------------------------------
// IP addresses
// ---------------------------------------------------------------------------------------------

TEST_CASE("compat util: uv_ip4_addr and uv_ip4_name round trip", "[compat][ip]") {
  struct sockaddr_in addr;
  char text[INET_ADDRSTRLEN];
  REQUIRE(uv_ip4_addr("127.0.0.1", 8080, &addr) == 0);
  CHECK(addr.sin_family == AF_INET);
  CHECK(addr.sin_port == htons(8080));
  CHECK(addr.sin_addr.s_addr == htonl(0x7f000001));
  REQUIRE(uv_ip4_name(&addr, text, sizeof text) == 0);
  CHECK(std::string(text) == "127.0.0.1");

  for (const char* good : {"0.0.0.0", "255.255.255.255", "10.0.20.3", "192.168.100.1"}) {
    REQUIRE(uv_ip4_addr(good, 0, &addr) == 0);
    REQUIRE(uv_ip4_name(&addr, text, sizeof text) == 0);
    CHECK(std::string(text) == good);
  }
  for (const char* bad : {"", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3", "a.b.c.d",
                          "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "::1", "1.2.3.4%1"}) {
    INFO(bad);
    CHECK(uv_ip4_addr(bad, 80, &addr) == UV_EINVAL);
  }

  // "255.255.255.255" needs 16 bytes with its NUL.
  REQUIRE(uv_ip4_addr("255.255.255.255", 0, &addr) == 0);
  char tight[16];
  CHECK(uv_ip4_name(&addr, tight, 15) == UV_ENOSPC);
  CHECK(uv_ip4_name(&addr, tight, 16) == 0);
  CHECK(std::string(tight) == "255.255.255.255");
}

TEST_CASE("compat util: uv_ip6_addr and uv_ip6_name round trip", "[compat][ip]") {
  struct sockaddr_in6 addr;
  char text[INET6_ADDRSTRLEN];

  REQUIRE(uv_ip6_addr("::1", 443, &addr) == 0);
  CHECK(addr.sin6_family == AF_INET6);
  CHECK(addr.sin6_port == htons(443));
  CHECK(addr.sin6_scope_id == 0);
  CHECK(addr.sin6_addr.s6_addr[15] == 1);
  REQUIRE(uv_ip6_name(&addr, text, sizeof text) == 0);
  CHECK(std::string(text) == "::1");

  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"::", "::"},
      {"2001:db8::ff00:42:8329", "2001:db8::ff00:42:8329"},
      {"2001:0DB8:0000:0000:0000:FF00:0042:8329", "2001:db8::ff00:42:8329"},
      {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
      {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},  // a single zero group is not shortened
      {"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
      {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},     // the longest run wins
      {"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},   // the first of equal runs wins
      {"fe80::", "fe80::"},
      {"::ffff:192.168.1.1", "::ffff:192.168.1.1"},  // IPv4-mapped
      {"::ffff:c0a8:101", "::ffff:192.168.1.1"},
      {"::1.2.3.4", "::1.2.3.4"},  // IPv4-compatible, as libuv prints it
      {"64:ff9b::1.2.3.4", "64:ff9b::102:304"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    REQUIRE(uv_ip6_addr(c.in, 0, &addr) == 0);
    REQUIRE(uv_ip6_name(&addr, text, sizeof text) == 0);
    CHECK(std::string(text) == c.out);
  }

  for (const char* bad : {"", ":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
                          "12345::", "::g", ":1::", "1:", "1::2:", "::1.2.3", "::1.2.3.4:5",
                          "1.2.3.4", "::256.1.1.1", "1:2:3:4:5:6:7:1.2.3.4", "::01.2.3.4"}) {
    INFO(bad);
    CHECK(uv_ip6_addr(bad, 0, &addr) == UV_EINVAL);
  }
}

TEST_CASE("compat util: uv_ip6_addr takes a numeric or named scope", "[compat][ip]") {
  struct sockaddr_in6 addr;
  REQUIRE(uv_ip6_addr("fe80::1%5", 0, &addr) == 0);
  CHECK(addr.sin6_scope_id == 5);
  CHECK(addr.sin6_addr.s6_addr[0] == 0xfe);
  CHECK(addr.sin6_addr.s6_addr[15] == 1);
  REQUIRE(uv_ip6_addr("fe80::2%0", 0, &addr) == 0);
  CHECK(addr.sin6_scope_id == 0);
  // An unknown interface name is silently ignored, as in libuv.
  REQUIRE(uv_ip6_addr("fe80::3%no-such-interface-xyz", 0, &addr) == 0);
  CHECK(addr.sin6_scope_id == 0);
  CHECK(addr.sin6_addr.s6_addr[15] == 3);
  // A known interface name resolves to its index.
  char name[IF_NAMESIZE + 1] = {0};
  if (if_indextoname(1, name) != nullptr && name[0] != '\0') {
    std::string with_scope = std::string("fe80::4%") + name;
    REQUIRE(uv_ip6_addr(with_scope.c_str(), 0, &addr) == 0);
    CHECK(addr.sin6_scope_id == 1);
  }
}

TEST_CASE("compat util: uv_ip_name dispatches on the family", "[compat][ip]") {
  struct sockaddr_in a4;
  struct sockaddr_in6 a6;
  char text[INET6_ADDRSTRLEN];
  REQUIRE(uv_ip4_addr("10.1.2.3", 1, &a4) == 0);
  REQUIRE(uv_ip6_addr("fd00::7", 1, &a6) == 0);
  REQUIRE(uv_ip_name(reinterpret_cast<struct sockaddr*>(&a4), text, sizeof text) == 0);
  CHECK(std::string(text) == "10.1.2.3");
  REQUIRE(uv_ip_name(reinterpret_cast<struct sockaddr*>(&a6), text, sizeof text) == 0);
  CHECK(std::string(text) == "fd00::7");
  struct sockaddr other;
  std::memset(&other, 0, sizeof other);
  other.sa_family = AF_UNSPEC;
  CHECK(uv_ip_name(&other, text, sizeof text) == UV_EAFNOSUPPORT);
}

TEST_CASE("compat util: uv_inet_pton and uv_inet_ntop", "[compat][ip]") {
  unsigned char bytes[16];
  char text[64];
  REQUIRE(uv_inet_pton(AF_INET, "192.0.2.33", bytes) == 0);
  CHECK(bytes[0] == 192);
  CHECK(bytes[3] == 33);
  REQUIRE(uv_inet_ntop(AF_INET, bytes, text, sizeof text) == 0);
  CHECK(std::string(text) == "192.0.2.33");

  REQUIRE(uv_inet_pton(AF_INET6, "2001:db8::1%eth0", bytes) == 0);  // the zone is dropped
  CHECK(bytes[0] == 0x20);
  CHECK(bytes[1] == 0x01);
  CHECK(bytes[15] == 0x01);
  REQUIRE(uv_inet_ntop(AF_INET6, bytes, text, sizeof text) == 0);
  CHECK(std::string(text) == "2001:db8::1");

  // ENOSPC: "2001:db8::1" needs 12 bytes.
  CHECK(uv_inet_ntop(AF_INET6, bytes, text, 11) == UV_ENOSPC);
  CHECK(uv_inet_ntop(AF_INET6, bytes, text, 12) == 0);
  CHECK(std::string(text) == "2001:db8::1");
  REQUIRE(uv_inet_pton(AF_INET, "1.2.3.4", bytes) == 0);
  CHECK(uv_inet_ntop(AF_INET, bytes, text, 7) == UV_ENOSPC);
  CHECK(uv_inet_ntop(AF_INET, bytes, text, 8) == 0);
  CHECK(uv_inet_ntop(AF_INET, bytes, text, 0) == UV_ENOSPC);

  // Bad input and unsupported families.
  CHECK(uv_inet_pton(AF_INET, nullptr, bytes) == UV_EINVAL);
  CHECK(uv_inet_pton(AF_INET, "1.2.3.4", nullptr) == UV_EINVAL);
  CHECK(uv_inet_pton(AF_INET, "300.1.1.1", bytes) == UV_EINVAL);
  CHECK(uv_inet_pton(AF_INET6, "not-an-address", bytes) == UV_EINVAL);
  CHECK(uv_inet_pton(AF_INET6,
                     "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000%1", bytes) ==
        UV_EINVAL);
  CHECK(uv_inet_pton(AF_UNSPEC, "1.2.3.4", bytes) == UV_EAFNOSUPPORT);
  CHECK(uv_inet_pton(12345, "1.2.3.4", bytes) == UV_EAFNOSUPPORT);
  CHECK(uv_inet_ntop(AF_UNSPEC, bytes, text, sizeof text) == UV_EAFNOSUPPORT);
  CHECK(uv_inet_ntop(12345, bytes, text, sizeof text) == UV_EAFNOSUPPORT);
}

// ---------------------------------------------------------------------------------------------
// Version, arguments
// ---------------------------------------------------------------------------------------------

TEST_CASE("compat util: the version is libuv 1.44.2", "[compat][version]") {
  CHECK(std::string(uv_version_string()) == "1.44.2");
  CHECK(uv_version() == ((1u << 16) | (44u << 8) | 2u));
  CHECK(uv_version() == UV_VERSION_HEX);
}

TEST_CASE("compat util: uv_setup_args returns a lasting copy", "[compat][args]") {
  std::string a0 = "program.exe", a1 = "--flag", a2 = "value with spaces";
  std::vector<char*> argv = {&a0[0], &a1[0], &a2[0], nullptr};
  char** copy = uv_setup_args(3, argv.data());
  REQUIRE(copy != nullptr);
  CHECK(copy != argv.data());
  CHECK(copy[0] != argv[0]);
  CHECK(std::string(copy[0]) == "program.exe");
  CHECK(std::string(copy[1]) == "--flag");
  CHECK(std::string(copy[2]) == "value with spaces");
  CHECK(copy[3] == nullptr);
  a1[2] = 'X';  // the copy does not alias the caller's strings
  CHECK(std::string(copy[1]) == "--flag");
  CHECK(uv_setup_args(0, nullptr) == nullptr);
}

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

TEST_CASE("compat util: uv_os_getenv, uv_os_setenv and uv_os_unsetenv", "[compat][env]") {
  const char* name = "UVAFD_UTIL_TEST_VAR";
  REQUIRE(uv_os_setenv(name, "hello") == 0);

  char buf[64];
  size_t size = sizeof buf;
  REQUIRE(uv_os_getenv(name, buf, &size) == 0);
  CHECK(std::string(buf) == "hello");
  CHECK(size == 5);  // without the NUL

  // Too small: UV_ENOBUFS and the size needed, NUL included.
  size = 5;
  CHECK(uv_os_getenv(name, buf, &size) == UV_ENOBUFS);
  CHECK(size == 6);
  size = 6;
  REQUIRE(uv_os_getenv(name, buf, &size) == 0);
  CHECK(std::string(buf) == "hello");
  CHECK(size == 5);

  // UTF-8 in and out (the sizes are in bytes).
  const char* utf8 = "h\xc3\xa9llo \xe2\x82\xac";  // "héllo €"
  REQUIRE(uv_os_setenv(name, utf8) == 0);
  size = 3;
  CHECK(uv_os_getenv(name, buf, &size) == UV_ENOBUFS);
  CHECK(size == std::strlen(utf8) + 1);
  size = sizeof buf;
  REQUIRE(uv_os_getenv(name, buf, &size) == 0);
  CHECK(std::string(buf) == utf8);
  CHECK(size == std::strlen(utf8));

  // Set but empty.
  REQUIRE(uv_os_setenv(name, "") == 0);
  size = sizeof buf;
  buf[0] = 'x';
  REQUIRE(uv_os_getenv(name, buf, &size) == 0);
  CHECK(size == 0);
  CHECK(buf[0] == '\0');

  // A long value (beyond any small internal buffer).
  std::string long_value(3000, 'v');
  long_value[1234] = 'w';
  REQUIRE(uv_os_setenv(name, long_value.c_str()) == 0);
  std::vector<char> big(4000);
  size = 10;
  CHECK(uv_os_getenv(name, big.data(), &size) == UV_ENOBUFS);
  CHECK(size == 3001);
  size = big.size();
  REQUIRE(uv_os_getenv(name, big.data(), &size) == 0);
  CHECK(size == 3000);
  CHECK(std::string(big.data()) == long_value);

  // Unset: UV_ENOENT, and unsetting again still succeeds.
  REQUIRE(uv_os_unsetenv(name) == 0);
  size = sizeof buf;
  CHECK(uv_os_getenv(name, buf, &size) == UV_ENOENT);
  CHECK(uv_os_unsetenv(name) == 0);

  // Invalid arguments.
  size = sizeof buf;
  CHECK(uv_os_getenv(nullptr, buf, &size) == UV_EINVAL);
  CHECK(uv_os_getenv(name, nullptr, &size) == UV_EINVAL);
  CHECK(uv_os_getenv(name, buf, nullptr) == UV_EINVAL);
  size = 0;
  CHECK(uv_os_getenv(name, buf, &size) == UV_EINVAL);
  CHECK(uv_os_setenv(nullptr, "x") == UV_EINVAL);
  CHECK(uv_os_setenv(name, nullptr) == UV_EINVAL);
  CHECK(uv_os_unsetenv(nullptr) == UV_EINVAL);
}

// ---------------------------------------------------------------------------------------------
// Allocator
// ---------------------------------------------------------------------------------------------

namespace {

struct AllocCounts {
  std::atomic<int> mallocs{0}, reallocs{0}, callocs{0}, frees{0};
};
AllocCounts g_counts;

void* counting_malloc(size_t size) {
  ++g_counts.mallocs;
  return std::malloc(size);
}
void* counting_realloc(void* ptr, size_t size) {
  ++g_counts.reallocs;
  return std::realloc(ptr, size);
}
void* counting_calloc(size_t count, size_t size) {
  ++g_counts.callocs;
  return std::calloc(count, size);
}
void counting_free(void* ptr) {
  if (ptr != nullptr) ++g_counts.frees;
  errno = EBADF;  // a careless free that clobbers errno...
  SetLastError(ERROR_GEN_FAILURE);  // ...and the last error
  std::free(ptr);
}

// Puts the C runtime's functions back even if a check fails.
struct RestoreAllocator {
  ~RestoreAllocator() { uv_replace_allocator(std::malloc, std::realloc, std::calloc, std::free); }
};

}  // namespace

TEST_CASE("compat util: uv_replace_allocator", "[compat][allocator]") {
  CHECK(uv_replace_allocator(nullptr, counting_realloc, counting_calloc, counting_free) ==
        UV_EINVAL);
  CHECK(uv_replace_allocator(counting_malloc, nullptr, counting_calloc, counting_free) ==
        UV_EINVAL);
  CHECK(uv_replace_allocator(counting_malloc, counting_realloc, nullptr, counting_free) ==
        UV_EINVAL);
  CHECK(uv_replace_allocator(counting_malloc, counting_realloc, counting_calloc, nullptr) ==
        UV_EINVAL);
  // A rejected call changed nothing.
  void* p = uvafd_compat::uv_malloc_(16);
  CHECK(g_counts.mallocs == 0);
  uvafd_compat::uv_free_(p);
  CHECK(g_counts.frees == 0);

  RestoreAllocator restore;
  REQUIRE(uv_replace_allocator(counting_malloc, counting_realloc, counting_calloc,
                               counting_free) == 0);

  p = uvafd_compat::uv_malloc_(32);
  REQUIRE(p != nullptr);
  CHECK(g_counts.mallocs == 1);
  p = uvafd_compat::uv_realloc_(p, 64);
  REQUIRE(p != nullptr);
  CHECK(g_counts.reallocs == 1);
  void* z = uvafd_compat::uv_calloc_(4, 8);
  REQUIRE(z != nullptr);
  CHECK(g_counts.callocs == 1);
  CHECK(static_cast<unsigned char*>(z)[31] == 0);

  errno = 0;
  SetLastError(ERROR_SUCCESS);
  uvafd_compat::uv_free_(z);
  CHECK(g_counts.frees == 1);
  CHECK(errno == 0);  // uv_free_ preserves errno and the last error
  CHECK(GetLastError() == ERROR_SUCCESS);

  // Zero sizes follow libuv: malloc(0) is NULL without calling the allocator, realloc(p, 0) frees.
  CHECK(uvafd_compat::uv_malloc_(0) == nullptr);
  CHECK(g_counts.mallocs == 1);
  CHECK(uvafd_compat::uv_realloc_(p, 0) == nullptr);
  CHECK(g_counts.frees == 2);
  CHECK(g_counts.reallocs == 1);

  // The compat layer's own allocations go through it too, and are all released.
  int mallocs_before = g_counts.mallocs, frees_before = g_counts.frees;
  REQUIRE(uv_os_setenv("UVAFD_UTIL_ALLOC_VAR", std::string(600, 'a').c_str()) == 0);
  char buf[700];
  size_t size = sizeof buf;
  REQUIRE(uv_os_getenv("UVAFD_UTIL_ALLOC_VAR", buf, &size) == 0);
  CHECK(size == 600);
  REQUIRE(uv_os_unsetenv("UVAFD_UTIL_ALLOC_VAR") == 0);
  uv_thread_t tid;
  REQUIRE(uv_thread_create(&tid, [](void*) {}, nullptr) == 0);
  REQUIRE(uv_thread_join(&tid) == 0);
  int mallocs = g_counts.mallocs - mallocs_before;
  int frees = g_counts.frees - frees_before;
  CHECK(mallocs >= 5);  // names and values converted to UTF-16, the grown buffer, the thread start
  CHECK(mallocs == frees);
}
