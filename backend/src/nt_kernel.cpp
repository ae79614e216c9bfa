// Every ntdll and winsock call uvafd makes is in this file.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <windows.h>
#include <winternl.h>

#include <cstddef>
#include <new>
#include <mutex>

#include "errors.h"
#include "nt_kernel.h"
#include "uvafd/reactor.h"

#ifndef FILE_OPEN
#define FILE_OPEN 0x00000001
#endif

namespace uvafd {
namespace {

constexpr ULONG kIoctlAfdPoll = 0x00012024;

// Our portable structures go to ntdll as they are, on x64 and on x86 alike: every pointer-sized
// field (HANDLE, ULONG_PTR, PVOID) is 8 or 4 bytes, LARGE_INTEGER is 8-aligned on both.
constexpr size_t kPtr = sizeof(void*);
static_assert(kPtr == sizeof(ULONG_PTR) && kPtr == sizeof(HANDLE) && kPtr == sizeof(SOCKET),
              "pointer-sized NT types");
static_assert(sizeof(IoStatusBlock) == sizeof(IO_STATUS_BLOCK), "IO_STATUS_BLOCK layout");
static_assert(offsetof(IoStatusBlock, information) == offsetof(IO_STATUS_BLOCK, Information),
              "IO_STATUS_BLOCK layout");
static_assert(offsetof(Completion, context) == kPtr, "FILE_IO_COMPLETION_INFORMATION");
static_assert(offsetof(Completion, status) == 2 * kPtr, "FILE_IO_COMPLETION_INFORMATION");
static_assert(offsetof(Completion, information) == 3 * kPtr, "FILE_IO_COMPLETION_INFORMATION");
static_assert(sizeof(Completion) == 4 * kPtr, "FILE_IO_COMPLETION_INFORMATION");
// AFD_POLL_INFO: LARGE_INTEGER Timeout; ULONG NumberOfHandles; ULONG Exclusive; then
// AFD_POLL_HANDLE_INFO { HANDLE Handle; ULONG Events; NTSTATUS Status; }. x64: 16 + 16 = 32;
// x86: 16 + 12 = 28, padded to 32 by the LARGE_INTEGER's alignment.
static_assert(offsetof(AfdPollInfo, number_of_handles) == 8, "AFD_POLL_INFO layout");
static_assert(offsetof(AfdPollInfo, handles) == 16, "AFD_POLL_INFO layout");
static_assert(sizeof(AfdPollHandleInfo) == kPtr + 8, "AFD_POLL_HANDLE_INFO layout");
static_assert(offsetof(AfdPollHandleInfo, events) == kPtr, "AFD_POLL_HANDLE_INFO layout");
static_assert(sizeof(AfdPollInfo) == 32, "AFD_POLL_INFO with one handle");

// A Win32 failure carried in an NTSTATUS: severity error plus the customer bit (never used by
// the system) plus the Win32 code.
constexpr uint32_t kWin32Tag = 0xE0000000u;
NtStatus status_from_win32(DWORD e) { return static_cast<NtStatus>(kWin32Tag | (e & 0xFFFF)); }

using NtCreateFileFn = NTSTATUS(NTAPI*)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES, PIO_STATUS_BLOCK,
                                        PLARGE_INTEGER, ULONG, ULONG, ULONG, ULONG, PVOID, ULONG);
using NtDeviceIoControlFileFn = NTSTATUS(NTAPI*)(HANDLE, HANDLE, PVOID, PVOID, PIO_STATUS_BLOCK,
                                                 ULONG, PVOID, ULONG, PVOID, ULONG);
using NtCancelIoFileExFn = NTSTATUS(NTAPI*)(HANDLE, PIO_STATUS_BLOCK, PIO_STATUS_BLOCK);
using NtRemoveIoCompletionExFn = NTSTATUS(NTAPI*)(HANDLE, PVOID, ULONG, PULONG, PLARGE_INTEGER,
                                                  BOOLEAN);
using NtSetIoCompletionFn = NTSTATUS(NTAPI*)(HANDLE, ULONG_PTR, ULONG_PTR, NTSTATUS, ULONG_PTR);
using RtlNtStatusToDosErrorFn = ULONG(NTAPI*)(NTSTATUS);
using NtQueryObjectFn = NTSTATUS(NTAPI*)(HANDLE, ULONG, PVOID, ULONG, PULONG);
using CompareObjectHandlesFn = BOOL(WINAPI*)(HANDLE, HANDLE);

// PUBLIC_OBJECT_BASIC_INFORMATION (winternl.h declares it only for some targets).
struct ObjectBasicInformation {
  ULONG attributes;
  ACCESS_MASK granted_access;
  ULONG handle_count;
  ULONG pointer_count;
  ULONG reserved[10];
};
constexpr ULONG kObjectBasicInformation = 0;

struct NtApi {
  NtCreateFileFn create_file = nullptr;
  NtDeviceIoControlFileFn device_io_control_file = nullptr;
  NtCancelIoFileExFn cancel_io_file_ex = nullptr;
  NtRemoveIoCompletionExFn remove_io_completion_ex = nullptr;
  NtSetIoCompletionFn set_io_completion = nullptr;
  RtlNtStatusToDosErrorFn status_to_dos_error = nullptr;
  bool complete = false;
  // Optional: without them a duplicated socket handle cannot be recognised.
  NtQueryObjectFn query_object = nullptr;
  CompareObjectHandlesFn compare_object_handles = nullptr;  // kernelbase, Windows 10 and later
};

const NtApi& nt_api() {
  static NtApi api;
  static std::once_flag once;
  std::call_once(once, [] {
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    if (!ntdll) return;
    auto get = [ntdll](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          reinterpret_cast<void*>(GetProcAddress(ntdll, name)));
      return fn != nullptr;
    };
    api.complete = get(api.create_file, "NtCreateFile") &
                   get(api.device_io_control_file, "NtDeviceIoControlFile") &
                   get(api.cancel_io_file_ex, "NtCancelIoFileEx") &
                   get(api.remove_io_completion_ex, "NtRemoveIoCompletionEx") &
                   get(api.set_io_completion, "NtSetIoCompletion") &
                   get(api.status_to_dos_error, "RtlNtStatusToDosError");
    get(api.query_object, "NtQueryObject");
    if (HMODULE kernelbase = GetModuleHandleW(L"kernelbase.dll"))
      api.compare_object_handles = reinterpret_cast<CompareObjectHandlesFn>(
          reinterpret_cast<void*>(GetProcAddress(kernelbase, "CompareObjectHandles")));
  });
  return api;
}

class NtKernel final : public Kernel {
 public:
  NtKernel() {
    WSADATA data;
    wsa_ok_ = WSAStartup(MAKEWORD(2, 2), &data) == 0;
  }
  ~NtKernel() override {
    if (wsa_ok_) WSACleanup();
  }

  NtStatus create_port(KHandle* port) override {
    HANDLE h = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
    if (!h) return status_from_win32(GetLastError());
    *port = reinterpret_cast<KHandle>(h);
    return kStatusSuccess;
  }

  NtStatus open_afd_helper(KHandle port, uintptr_t key, KHandle* helper) override {
    // Any name under \Device\Afd opens a helper that is not a socket: polls go through it, so
    // the user's socket is never associated with our port (it may belong to another one).
    static wchar_t name[] = L"\\Device\\Afd\\uvafd";
    UNICODE_STRING path;
    path.Length = sizeof(name) - sizeof(wchar_t);
    path.MaximumLength = sizeof(name);
    path.Buffer = name;
    OBJECT_ATTRIBUTES attributes;
    InitializeObjectAttributes(&attributes, &path, 0, nullptr, nullptr);
    HANDLE h = nullptr;
    IO_STATUS_BLOCK iosb;
    NTSTATUS st = nt_api().create_file(&h, SYNCHRONIZE, &attributes, &iosb, nullptr, 0,
                                       FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN, 0, nullptr, 0);
    if (st != 0) return st;
    if (!CreateIoCompletionPort(h, reinterpret_cast<HANDLE>(port), key, 0)) {
      const DWORD e = GetLastError();
      CloseHandle(h);
      return status_from_win32(e);
    }
    // No event to signal per completion. FILE_SKIP_COMPLETION_PORT_ON_SUCCESS is deliberately
    // not set: the reactor counts on a packet for every request that did not fail.
    SetFileCompletionNotificationModes(h, FILE_SKIP_SET_EVENT_ON_HANDLE);
    *helper = reinterpret_cast<KHandle>(h);
    return kStatusSuccess;
  }

  NtStatus submit_poll(KHandle helper, void* context, IoStatusBlock* iosb,
                       AfdPollInfo* info) override {
    return nt_api().device_io_control_file(reinterpret_cast<HANDLE>(helper), nullptr, nullptr,
                                           context, reinterpret_cast<PIO_STATUS_BLOCK>(iosb),
                                           kIoctlAfdPoll, info, sizeof(*info), info, sizeof(*info));
  }

  NtStatus cancel_request(KHandle helper, IoStatusBlock* iosb) override {
    IO_STATUS_BLOCK result;
    return nt_api().cancel_io_file_ex(reinterpret_cast<HANDLE>(helper),
                                      reinterpret_cast<PIO_STATUS_BLOCK>(iosb), &result);
  }

  NtStatus post_packet(KHandle port, uintptr_t key, void* context, NtStatus status,
                       uintptr_t information) override {
    // NtSetIoCompletion keeps all 64 bits of Information (PostQueuedCompletionStatus would not
    // let a generation through GetQueuedCompletionStatusEx whole).
    return nt_api().set_io_completion(reinterpret_cast<HANDLE>(port), key,
                                      reinterpret_cast<ULONG_PTR>(context), status, information);
  }

  NtStatus dequeue_batch(KHandle port, Completion* out, uint32_t capacity, uint32_t* count,
                         int64_t timeout_ms) override {
    LARGE_INTEGER timeout;
    int64_t relative = 0;
    const bool finite = nt_relative_timeout(timeout_ms, &relative);
    timeout.QuadPart = relative;
    ULONG removed = 0;
    const NTSTATUS st = nt_api().remove_io_completion_ex(
        reinterpret_cast<HANDLE>(port), out, capacity, &removed, finite ? &timeout : nullptr,
        FALSE);
    // Wine leaves `removed` alone on STATUS_TIMEOUT; it starts at 0 here.
    *count = st == 0 ? removed : 0;
    return st;
  }

  NtStatus close_handle(KHandle handle) override {
    return CloseHandle(reinterpret_cast<HANDLE>(handle)) ? kStatusSuccess
                                                         : status_from_win32(GetLastError());
  }

  int probe_socket(KHandle socket) override {
    // Wine answers SIO_BASE_HANDLE for any value, socket or not (measured: a file handle and a
    // closed socket both "succeed"); SO_TYPE tells.
    int type = 0;
    int type_len = sizeof(type);
    if (getsockopt(static_cast<SOCKET>(socket), SOL_SOCKET, SO_TYPE,
                   reinterpret_cast<char*>(&type), &type_len) != SOCKET_ERROR)
      return 0;
    const int err = error_from_win32(static_cast<uint32_t>(WSAGetLastError()));
    return err == UVAFD_EIO ? UVAFD_ENOTSOCK : err;
  }

  int socket_ioctl(KHandle socket, uint32_t code, KHandle* out) override {
    SOCKET answer = INVALID_SOCKET;
    DWORD bytes = 0;
    if (WSAIoctl(static_cast<SOCKET>(socket), code, nullptr, 0, &answer, sizeof(answer), &bytes,
                 nullptr, nullptr) == SOCKET_ERROR)
      return error_from_win32(static_cast<uint32_t>(WSAGetLastError()));
    *out = static_cast<KHandle>(answer);
    return 0;
  }

  bool can_compare_objects() override { return nt_api().compare_object_handles != nullptr; }

  int same_object(KHandle a, KHandle b) override {
    if (!nt_api().compare_object_handles) return -1;
    return nt_api().compare_object_handles(reinterpret_cast<HANDLE>(a),
                                           reinterpret_cast<HANDLE>(b)) ? 1 : 0;
  }

  uint32_t handle_count(KHandle h) override {
    if (!nt_api().query_object) return 0;
    ObjectBasicInformation info{};
    ULONG length = 0;
    const NTSTATUS st = nt_api().query_object(reinterpret_cast<HANDLE>(h), kObjectBasicInformation,
                                              &info, sizeof(info), &length);
    return st == 0 ? info.handle_count : 0;
  }

  int error_from_status(NtStatus status) override {
    if (status == 0) return 0;
    if ((static_cast<uint32_t>(status) & kWin32Tag) == kWin32Tag)
      return error_from_win32(static_cast<uint32_t>(status) & 0xFFFF);
    return error_from_win32(nt_api().status_to_dos_error(status));
  }

 private:
  bool wsa_ok_ = false;
};

}  // namespace

std::unique_ptr<Kernel> make_nt_kernel(int* error) {
  if (!nt_api().complete) {
    *error = UVAFD_EIO;
    return nullptr;
  }
  std::unique_ptr<Kernel> k(new (std::nothrow) NtKernel());
  *error = k ? 0 : UVAFD_ENOMEM;
  return k;
}

}  // namespace uvafd
