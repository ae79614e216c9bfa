// Every ntdll and winsock call uvafd makes is in this file.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <windows.h>
#include <winternl.h>

#include <cstddef>
#include <mutex>

#include "errors.h"
#include "nt_kernel.h"
#include "uvafd/reactor.h"

#ifndef SIO_BASE_HANDLE
#define SIO_BASE_HANDLE 0x48000022
#endif
#ifndef SIO_BSP_HANDLE_POLL
#define SIO_BSP_HANDLE_POLL 0x4800001D
#endif
#ifndef FILE_OPEN
#define FILE_OPEN 0x00000001
#endif

namespace uvafd {
namespace {

constexpr ULONG kIoctlAfdPoll = 0x00012024;

// Our portable structures go to ntdll as they are.
static_assert(sizeof(IoStatusBlock) == sizeof(IO_STATUS_BLOCK), "IO_STATUS_BLOCK layout");
static_assert(offsetof(Completion, context) == sizeof(void*), "FILE_IO_COMPLETION_INFORMATION");
static_assert(offsetof(Completion, status) == 2 * sizeof(void*), "FILE_IO_COMPLETION_INFORMATION");
static_assert(offsetof(Completion, information) == 3 * sizeof(void*), "FILE_IO_COMPLETION_INFORMATION");
static_assert(sizeof(Completion) == 4 * sizeof(void*), "FILE_IO_COMPLETION_INFORMATION");
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

struct NtApi {
  NtCreateFileFn create_file = nullptr;
  NtDeviceIoControlFileFn device_io_control_file = nullptr;
  NtCancelIoFileExFn cancel_io_file_ex = nullptr;
  NtRemoveIoCompletionExFn remove_io_completion_ex = nullptr;
  NtSetIoCompletionFn set_io_completion = nullptr;
  RtlNtStatusToDosErrorFn status_to_dos_error = nullptr;
  bool complete = false;
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
    timeout.QuadPart = -timeout_ms * 10000;  // relative, in 100 ns units
    ULONG removed = 0;
    const NTSTATUS st = nt_api().remove_io_completion_ex(
        reinterpret_cast<HANDLE>(port), out, capacity, &removed,
        timeout_ms < 0 ? nullptr : &timeout, FALSE);
    // Wine leaves `removed` alone on STATUS_TIMEOUT; it starts at 0 here.
    *count = st == 0 ? removed : 0;
    return st;
  }

  NtStatus close_handle(KHandle handle) override {
    return CloseHandle(reinterpret_cast<HANDLE>(handle)) ? kStatusSuccess
                                                         : status_from_win32(GetLastError());
  }

  int base_socket(KHandle socket, KHandle* base) override {
    // Wine answers SIO_BASE_HANDLE for any value, socket or not (measured: a file handle and a
    // closed socket both "succeed"), so ask winsock whether it is a socket first.
    int type = 0;
    int type_len = sizeof(type);
    if (getsockopt(static_cast<SOCKET>(socket), SOL_SOCKET, SO_TYPE,
                   reinterpret_cast<char*>(&type), &type_len) == SOCKET_ERROR) {
      const int err = error_from_win32(static_cast<uint32_t>(WSAGetLastError()));
      return err == UVAFD_EIO ? UVAFD_ENOTSOCK : err;
    }
    SOCKET out = INVALID_SOCKET;
    DWORD bytes = 0;
    if (WSAIoctl(static_cast<SOCKET>(socket), SIO_BASE_HANDLE, nullptr, 0, &out, sizeof(out),
                 &bytes, nullptr, nullptr) != SOCKET_ERROR) {
      *base = static_cast<KHandle>(out);
      return 0;
    }
    int e = WSAGetLastError();
    if (e != WSAENOTSOCK) {
      // A layered service provider may intercept SIO_BASE_HANDLE; SIO_BSP_HANDLE_POLL asks it
      // for the handle to poll instead.
      if (WSAIoctl(static_cast<SOCKET>(socket), SIO_BSP_HANDLE_POLL, nullptr, 0, &out,
                   sizeof(out), &bytes, nullptr, nullptr) != SOCKET_ERROR &&
          out != INVALID_SOCKET) {
        *base = static_cast<KHandle>(out);
        return 0;
      }
      e = WSAGetLastError();
    }
    const int err = error_from_win32(static_cast<uint32_t>(e));
    return err == UVAFD_EIO ? UVAFD_ENOTSOCK : err;
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
  *error = 0;
  return std::make_unique<NtKernel>();
}

}  // namespace uvafd
