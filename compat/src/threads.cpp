// libuv's thread and synchronisation API on Win32 primitives, in the storage libuv's Windows ABI
// gives them (include/uv/win.h): uv_thread_t is a thread HANDLE, uv_mutex_t a CRITICAL_SECTION,
// uv_rwlock_t an SRWLOCK, uv_sem_t a semaphore HANDLE, uv_cond_t a CONDITION_VARIABLE,
// uv_key_t a TLS index, uv_once_t {ran, event} and uv_barrier_t {n, count, mutex, 2 semaphores}.
//
// Like libuv, misuse that cannot be reported through the API (a failed wait on a semaphore, an
// invalid TLS index...) aborts the process.
#include "uv.h"  // brings in windows.h

#include <process.h>  // _beginthreadex

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>

#include "allocator.h"

using uvafd_compat::uv_free_;
using uvafd_compat::uv_malloc_;

namespace {

// ---------------------------------------------------------------------------------------------
// Thread identity
// ---------------------------------------------------------------------------------------------

// The handle uv_thread_self() returns on this thread. For threads started by uv_thread_create it
// is the very handle the creator got in *tid (so uv_thread_equal(&tid, &self) holds by value);
// other threads (the main thread, threads of foreign code) get a real handle duplicated from
// GetCurrentThread()'s pseudo-handle on first use. As in libuv, that duplicate is never closed:
// whoever received it may still wait on it after the thread exits, and closing it behind their
// back would let the value be reused for an unrelated object. Cost: one handle per such thread.
thread_local HANDLE t_self = nullptr;

struct ThreadStart {
  uv_thread_cb entry;
  void* arg;
  HANDLE self;
};

unsigned __stdcall thread_main(void* raw) {
  ThreadStart start = *static_cast<ThreadStart*>(raw);
  uv_free_(raw);
  t_self = start.self;
  start.entry(start.arg);
  return 0;
}

// Thread stacks: requested sizes are rounded up to the page size and raised to a floor, so that
// a tiny request still leaves room for the C runtime's thread start-up and the entry's first
// frames (libuv on Unix similarly raises tiny requests to PTHREAD_STACK_MIN; Windows itself
// rounds reservations up to its 64 KiB allocation granularity).
constexpr size_t kMinStackSize = 64 * 1024;

size_t page_size() {
  SYSTEM_INFO info;
  GetNativeSystemInfo(&info);
  return info.dwPageSize != 0 ? info.dwPageSize : 4096;
}

}  // namespace

extern "C" {

int uv_thread_create(uv_thread_t* tid, uv_thread_cb entry, void* arg) {
  uv_thread_options_t options;
  options.flags = UV_THREAD_NO_FLAGS;
  options.stack_size = 0;
  return uv_thread_create_ex(tid, &options, entry, arg);
}

int uv_thread_create_ex(uv_thread_t* tid, const uv_thread_options_t* params, uv_thread_cb entry,
                        void* arg) {
  if (tid == nullptr || params == nullptr || entry == nullptr) return UV_EINVAL;

  size_t stack_size = 0;  // 0: the executable's default
  if ((params->flags & UV_THREAD_HAS_STACK_SIZE) && params->stack_size != 0) {
    size_t page = page_size();
    if (params->stack_size > SIZE_MAX - (page - 1)) return UV_EINVAL;
    stack_size = (params->stack_size + page - 1) / page * page;
    if (stack_size < kMinStackSize) stack_size = kMinStackSize;
    // _beginthreadex takes an unsigned: sizes it cannot express are invalid, as in libuv.
    if (stack_size > UINT_MAX) return UV_EINVAL;
  }

  auto* start = static_cast<ThreadStart*>(uv_malloc_(sizeof(ThreadStart)));
  if (start == nullptr) return UV_ENOMEM;
  start->entry = entry;
  start->arg = arg;
  start->self = nullptr;

  // _beginthreadex (not CreateThread) so the C runtime's per-thread state is set up. Suspended,
  // so the new thread learns its own handle before it runs any user code. The size is the stack
  // reservation, i.e. the thread's real stack size, not merely the initially committed part.
  errno = 0;
  uintptr_t handle =
      _beginthreadex(nullptr, static_cast<unsigned>(stack_size), thread_main, start,
                     CREATE_SUSPENDED | (stack_size != 0 ? STACK_SIZE_PARAM_IS_A_RESERVATION : 0),
                     nullptr);
  if (handle == 0) {
    int error = errno;
    uv_free_(start);
    switch (error) {
      case EAGAIN:
        return UV_EAGAIN;
      case EINVAL:
        return UV_EINVAL;
      case EACCES:
        return UV_EACCES;
      default:
        return UV_EIO;
    }
  }

  HANDLE thread = reinterpret_cast<HANDLE>(handle);
  start->self = thread;
  *tid = thread;
  if (ResumeThread(thread) == static_cast<DWORD>(-1)) abort();
  return 0;
}

uv_thread_t uv_thread_self(void) {
  if (t_self == nullptr) {
    HANDLE process = GetCurrentProcess();
    HANDLE duplicate = nullptr;
    if (!DuplicateHandle(process, GetCurrentThread(), process, &duplicate, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
      abort();
    t_self = duplicate;
  }
  return t_self;
}

int uv_thread_join(uv_thread_t* tid) {
  if (tid == nullptr) return UV_EINVAL;
  if (WaitForSingleObject(*tid, INFINITE) != WAIT_OBJECT_0)
    return uv_translate_sys_error(static_cast<int>(GetLastError()));
  CloseHandle(*tid);
  *tid = nullptr;
  MemoryBarrier();  // what the thread wrote is visible to the joiner, as with pthread_join
  return 0;
}

// Handles are compared by value first (what libuv does), then by thread id, so that two distinct
// handles to the same live thread (e.g. a duplicate the program made) also compare equal.
int uv_thread_equal(const uv_thread_t* t1, const uv_thread_t* t2) {
  if (*t1 == *t2) return 1;
  if (*t1 == nullptr || *t2 == nullptr) return 0;
  DWORD id1 = GetThreadId(*t1);
  return id1 != 0 && id1 == GetThreadId(*t2);
}

// ---------------------------------------------------------------------------------------------
// Mutexes: critical sections, which are recursive by nature.
// ---------------------------------------------------------------------------------------------

int uv_mutex_init(uv_mutex_t* mutex) {
  InitializeCriticalSection(mutex);
  return 0;
}

int uv_mutex_init_recursive(uv_mutex_t* mutex) { return uv_mutex_init(mutex); }

void uv_mutex_destroy(uv_mutex_t* mutex) { DeleteCriticalSection(mutex); }

void uv_mutex_lock(uv_mutex_t* mutex) { EnterCriticalSection(mutex); }

int uv_mutex_trylock(uv_mutex_t* mutex) { return TryEnterCriticalSection(mutex) ? 0 : UV_EBUSY; }

void uv_mutex_unlock(uv_mutex_t* mutex) { LeaveCriticalSection(mutex); }

// ---------------------------------------------------------------------------------------------
// Read-write locks: slim reader/writer locks (not recursive, not upgradable).
// ---------------------------------------------------------------------------------------------

int uv_rwlock_init(uv_rwlock_t* rwlock) {
  *rwlock = uv_rwlock_t{};
  InitializeSRWLock(&rwlock->read_write_lock_);
  return 0;
}

void uv_rwlock_destroy(uv_rwlock_t* rwlock) {
  (void)rwlock;  // an SRWLOCK owns no resources
}

void uv_rwlock_rdlock(uv_rwlock_t* rwlock) { AcquireSRWLockShared(&rwlock->read_write_lock_); }

int uv_rwlock_tryrdlock(uv_rwlock_t* rwlock) {
  return TryAcquireSRWLockShared(&rwlock->read_write_lock_) ? 0 : UV_EBUSY;
}

void uv_rwlock_rdunlock(uv_rwlock_t* rwlock) { ReleaseSRWLockShared(&rwlock->read_write_lock_); }

void uv_rwlock_wrlock(uv_rwlock_t* rwlock) { AcquireSRWLockExclusive(&rwlock->read_write_lock_); }

int uv_rwlock_trywrlock(uv_rwlock_t* rwlock) {
  return TryAcquireSRWLockExclusive(&rwlock->read_write_lock_) ? 0 : UV_EBUSY;
}

void uv_rwlock_wrunlock(uv_rwlock_t* rwlock) {
  ReleaseSRWLockExclusive(&rwlock->read_write_lock_);
}

// ---------------------------------------------------------------------------------------------
// Semaphores: kernel semaphore objects.
// ---------------------------------------------------------------------------------------------

int uv_sem_init(uv_sem_t* sem, unsigned int value) {
  if (value > static_cast<unsigned>(LONG_MAX)) return UV_EINVAL;
  HANDLE handle = CreateSemaphoreW(nullptr, static_cast<LONG>(value), LONG_MAX, nullptr);
  if (handle == nullptr) return uv_translate_sys_error(static_cast<int>(GetLastError()));
  *sem = handle;
  return 0;
}

void uv_sem_destroy(uv_sem_t* sem) {
  if (!CloseHandle(*sem)) abort();
}

void uv_sem_post(uv_sem_t* sem) {
  if (!ReleaseSemaphore(*sem, 1, nullptr)) abort();
}

void uv_sem_wait(uv_sem_t* sem) {
  if (WaitForSingleObject(*sem, INFINITE) != WAIT_OBJECT_0) abort();
}

int uv_sem_trywait(uv_sem_t* sem) {
  switch (WaitForSingleObject(*sem, 0)) {
    case WAIT_OBJECT_0:
      return 0;
    case WAIT_TIMEOUT:
      return UV_EAGAIN;
    default:
      abort();
  }
}

// ---------------------------------------------------------------------------------------------
// Condition variables: CONDITION_VARIABLE slept on with the uv_mutex_t critical section.
// ---------------------------------------------------------------------------------------------

int uv_cond_init(uv_cond_t* cond) {
  InitializeConditionVariable(&cond->cond_var);
  return 0;
}

void uv_cond_destroy(uv_cond_t* cond) {
  (void)cond;  // a CONDITION_VARIABLE owns no resources
}

void uv_cond_signal(uv_cond_t* cond) { WakeConditionVariable(&cond->cond_var); }

void uv_cond_broadcast(uv_cond_t* cond) { WakeAllConditionVariable(&cond->cond_var); }

void uv_cond_wait(uv_cond_t* cond, uv_mutex_t* mutex) {
  if (!SleepConditionVariableCS(&cond->cond_var, mutex, INFINITE)) abort();
}

// timeout is in nanoseconds. It is rounded up to whole milliseconds (so the wait is never shorter
// than asked) and capped just below INFINITE.
int uv_cond_timedwait(uv_cond_t* cond, uv_mutex_t* mutex, uint64_t timeout) {
  uint64_t ms = timeout / 1000000u + (timeout % 1000000u != 0 ? 1 : 0);
  DWORD wait_ms = ms >= INFINITE ? INFINITE - 1 : static_cast<DWORD>(ms);
  if (SleepConditionVariableCS(&cond->cond_var, mutex, wait_ms)) return 0;
  if (GetLastError() == ERROR_TIMEOUT) return UV_ETIMEDOUT;
  abort();
}

// ---------------------------------------------------------------------------------------------
// Barriers
//
// `count` counts the threads of the current round. The thread completing the round (the
// "serializer", which gets the non-zero return) keeps the mutex, lets the other n - 1 through
// turnstile1 with a single ReleaseSemaphore and waits on turnstile2. Each released thread
// decrements `count` atomically (without the mutex, which the serializer holds) and the one that
// leaves only the serializer counted posts turnstile2; that post is its last access to the
// barrier. The serializer then resets `count` and releases the mutex, opening the next round:
// until then, early arrivals for the next round queue on the mutex, so rounds never mix.
// When the serializer returns, no other thread uses the barrier any more, so
//   if (uv_barrier_wait(&b) > 0) uv_barrier_destroy(&b);
// (libuv's documented idiom) is safe.
// ---------------------------------------------------------------------------------------------

int uv_barrier_init(uv_barrier_t* barrier, unsigned int count) {
  if (barrier == nullptr || count == 0 || count > static_cast<unsigned>(LONG_MAX))
    return UV_EINVAL;
  barrier->n = count;
  barrier->count = 0;
  int err = uv_sem_init(&barrier->turnstile1, 0);
  if (err != 0) return err;
  err = uv_sem_init(&barrier->turnstile2, 0);
  if (err != 0) {
    uv_sem_destroy(&barrier->turnstile1);
    return err;
  }
  uv_mutex_init(&barrier->mutex);
  return 0;
}

void uv_barrier_destroy(uv_barrier_t* barrier) {
  uv_mutex_destroy(&barrier->mutex);
  uv_sem_destroy(&barrier->turnstile2);
  uv_sem_destroy(&barrier->turnstile1);
}

int uv_barrier_wait(uv_barrier_t* barrier) {
  uv_mutex_lock(&barrier->mutex);
  unsigned arrived = __atomic_add_fetch(&barrier->count, 1u, __ATOMIC_ACQ_REL);
  if (arrived < barrier->n) {
    uv_mutex_unlock(&barrier->mutex);
    uv_sem_wait(&barrier->turnstile1);
    if (__atomic_sub_fetch(&barrier->count, 1u, __ATOMIC_ACQ_REL) == 1)
      uv_sem_post(&barrier->turnstile2);  // the serializer is the only one left
    return 0;
  }

  // Round complete: this thread is the serializer, and keeps the mutex until the round is over.
  unsigned others = barrier->n - 1;
  if (others > 0) {
    if (!ReleaseSemaphore(barrier->turnstile1, static_cast<LONG>(others), nullptr)) abort();
    uv_sem_wait(&barrier->turnstile2);
  }
  __atomic_store_n(&barrier->count, 0u, __ATOMIC_RELEASE);
  uv_mutex_unlock(&barrier->mutex);
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Once
//
// uv_once_t's `event` slot (pointer-sized, NULL in UV_ONCE_INIT) is used as the storage of a
// Win32 INIT_ONCE, whose static initializer is also all-zero; InitOnceExecuteOnce does the
// racing and the waiting. `ran` is the lock-free fast path once the callback has completed.
// ---------------------------------------------------------------------------------------------

static_assert(sizeof(INIT_ONCE) == sizeof(HANDLE), "INIT_ONCE must fit uv_once_t::event");

}  // extern "C"

namespace {

BOOL CALLBACK run_once_callback(PINIT_ONCE, PVOID parameter, PVOID*) {
  (*static_cast<void (**)(void)>(parameter))();
  return TRUE;
}

}  // namespace

extern "C" {

void uv_once(uv_once_t* guard, void (*callback)(void)) {
  if (__atomic_load_n(&guard->ran, __ATOMIC_ACQUIRE)) return;
  auto* init_once = reinterpret_cast<PINIT_ONCE>(&guard->event);
  if (!InitOnceExecuteOnce(init_once, run_once_callback, &callback, nullptr)) abort();
  __atomic_store_n(&guard->ran, 1, __ATOMIC_RELEASE);
}

// ---------------------------------------------------------------------------------------------
// Thread-local keys: TLS indexes.
// ---------------------------------------------------------------------------------------------

int uv_key_create(uv_key_t* key) {
  DWORD index = TlsAlloc();
  if (index == TLS_OUT_OF_INDEXES) return UV_ENOMEM;
  key->tls_index = index;
  return 0;
}

void uv_key_delete(uv_key_t* key) {
  if (!TlsFree(key->tls_index)) abort();
  key->tls_index = TLS_OUT_OF_INDEXES;
}

void* uv_key_get(uv_key_t* key) {
  // TlsGetValue leaves the last error at ERROR_SUCCESS when it returns a stored NULL, and sets it
  // for a bad index. It must not clobber the caller's last error otherwise, so restore it.
  DWORD saved = GetLastError();
  SetLastError(ERROR_SUCCESS);
  void* value = TlsGetValue(key->tls_index);
  if (value == nullptr && GetLastError() != ERROR_SUCCESS) abort();
  SetLastError(saved);
  return value;
}

void uv_key_set(uv_key_t* key, void* value) {
  if (!TlsSetValue(key->tls_index, value)) abort();
}

}  // extern "C"
