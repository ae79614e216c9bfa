// libuv's loop-independent utilities: the replaceable allocator, time, IP address text
// conversion, version reporting, program arguments, library shutdown and the environment.
#include "uv.h"  // brings in winsock2.h, ws2tcpip.h and windows.h

#include <iphlpapi.h>  // if_nametoindex

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "allocator.h"

// ---------------------------------------------------------------------------------------------
// Allocator
// ---------------------------------------------------------------------------------------------

namespace {

struct Allocator {
  uv_malloc_func malloc_fn;
  uv_realloc_func realloc_fn;
  uv_calloc_func calloc_fn;
  uv_free_func free_fn;
};

// libuv requires uv_replace_allocator() to be called before any other libuv function, so these
// are plain (not atomic) and read without locking.
Allocator g_allocator = {std::malloc, std::realloc, std::calloc, std::free};

}  // namespace

namespace uvafd_compat {

void* uv_malloc_(size_t size) {
  if (size == 0) return nullptr;
  return g_allocator.malloc_fn(size);
}

void* uv_calloc_(size_t count, size_t size) { return g_allocator.calloc_fn(count, size); }

void* uv_realloc_(void* ptr, size_t size) {
  if (size == 0) {
    uv_free_(ptr);
    return nullptr;
  }
  return g_allocator.realloc_fn(ptr, size);
}

void uv_free_(void* ptr) {
  int saved_errno = errno;
  DWORD saved_error = GetLastError();
  g_allocator.free_fn(ptr);
  SetLastError(saved_error);
  errno = saved_errno;
}

}  // namespace uvafd_compat

using uvafd_compat::uv_free_;
using uvafd_compat::uv_malloc_;

// ---------------------------------------------------------------------------------------------
// IP address text <-> binary
// ---------------------------------------------------------------------------------------------

namespace {

// Longest textual IPv6 address ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255") plus NUL.
constexpr size_t kIp6TextMax = 46;
constexpr size_t kIp4TextMax = 16;

bool is_dec(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Dotted quad in [p, end): exactly four decimal parts of 0..255, no leading zeros ("0" itself is
// fine, "01" is not), nothing else.
int parse_ip4(const char* p, const char* end, unsigned char out[4]) {
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (p == end || *p != '.') return UV_EINVAL;
      ++p;
    }
    if (p == end || !is_dec(*p)) return UV_EINVAL;
    unsigned value = 0;
    int digits = 0;
    while (p != end && is_dec(*p)) {
      if (digits > 0 && value == 0) return UV_EINVAL;  // leading zero
      value = value * 10 + static_cast<unsigned>(*p - '0');
      if (value > 255) return UV_EINVAL;
      ++digits;
      ++p;
    }
    out[part] = static_cast<unsigned char>(value);
  }
  return p == end ? 0 : UV_EINVAL;
}

// A run of colon-separated groups in [p, end) (one side of a "::", or the whole address). Each
// group is 1-4 hex digits; when allow_ip4 is set the last group may be a dotted quad, which fills
// two groups. Appends to words[*count..] and fails past max_words.
int parse_ip6_groups(const char* p, const char* end, bool allow_ip4, uint16_t* words, int* count,
                     int max_words) {
  if (p == end) return 0;  // nothing on this side of "::"
  for (;;) {
    const char* group_end = p;
    while (group_end != end && *group_end != ':') ++group_end;
    bool last = group_end == end;

    const char* dot = static_cast<const char*>(std::memchr(p, '.', group_end - p));
    if (dot != nullptr) {
      if (!last || !allow_ip4 || *count + 2 > max_words) return UV_EINVAL;
      unsigned char quad[4];
      if (parse_ip4(p, group_end, quad) != 0) return UV_EINVAL;
      words[(*count)++] = static_cast<uint16_t>((quad[0] << 8) | quad[1]);
      words[(*count)++] = static_cast<uint16_t>((quad[2] << 8) | quad[3]);
      return 0;
    }

    size_t digits = static_cast<size_t>(group_end - p);
    if (digits == 0 || digits > 4 || *count + 1 > max_words) return UV_EINVAL;
    unsigned value = 0;
    for (const char* q = p; q != group_end; ++q) {
      int v = hex_value(*q);
      if (v < 0) return UV_EINVAL;
      value = (value << 4) | static_cast<unsigned>(v);
    }
    words[(*count)++] = static_cast<uint16_t>(value);

    if (last) return 0;
    p = group_end + 1;  // skip the ':'; an empty group after it is rejected above
  }
}

int parse_ip6(const char* p, const char* end, unsigned char out[16]) {
  uint16_t head[8];
  uint16_t tail[8];
  int head_count = 0;
  int tail_count = 0;

  const char* gap = nullptr;  // position of "::", if any
  for (const char* q = p; q + 1 < end; ++q) {
    if (q[0] == ':' && q[1] == ':') {
      gap = q;
      break;
    }
  }

  if (gap == nullptr) {
    if (parse_ip6_groups(p, end, true, head, &head_count, 8) != 0) return UV_EINVAL;
    if (head_count != 8) return UV_EINVAL;
  } else {
    // "::" stands for at least one zero group, so at most seven explicit ones. A second "::" or a
    // ":::" leaves an empty group on the right-hand side, which the group parser rejects.
    if (parse_ip6_groups(p, gap, false, head, &head_count, 7) != 0) return UV_EINVAL;
    if (parse_ip6_groups(gap + 2, end, true, tail, &tail_count, 7 - head_count) != 0)
      return UV_EINVAL;
  }

  uint16_t words[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < head_count; ++i) words[i] = head[i];
  for (int i = 0; i < tail_count; ++i) words[8 - tail_count + i] = tail[i];
  for (int i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<unsigned char>(words[i] >> 8);
    out[2 * i + 1] = static_cast<unsigned char>(words[i] & 0xff);
  }
  return 0;
}

// Writes text (of length len) into dst if dst can hold it with its NUL.
int emit(const char* text, size_t len, char* dst, size_t size) {
  if (len + 1 > size) return UV_ENOSPC;
  if (dst == nullptr) return UV_EINVAL;
  std::memcpy(dst, text, len + 1);
  return 0;
}

int format_ip4(const unsigned char* b, char* dst, size_t size) {
  char text[kIp4TextMax];
  int len = std::snprintf(text, sizeof text, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
  if (len <= 0) return UV_EINVAL;
  return emit(text, static_cast<size_t>(len), dst, size);
}

// RFC 4291 text with the longest (leftmost on ties) run of two or more zero groups shortened to
// "::". As libuv prints them, IPv4-mapped addresses (::ffff:a.b.c.d) and IPv4-compatible ones
// (::a.b.c.d, six leading zero groups and a non-zero seventh) end in a dotted quad.
int format_ip6(const unsigned char* b, char* dst, size_t size) {
  unsigned words[8];
  for (int i = 0; i < 8; ++i) words[i] = (static_cast<unsigned>(b[2 * i]) << 8) | b[2 * i + 1];

  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best_start = -1;

  char text[kIp6TextMax + 8];
  size_t len = 0;
  auto put = [&](const char* s) {
    size_t n = std::strlen(s);
    std::memcpy(text + len, s, n);
    len += n;
    text[len] = '\0';
  };
  auto put_hex_words = [&](int from, int to) {  // words[from..to) joined by ':'
    char piece[8];
    for (int i = from; i < to; ++i) {
      std::snprintf(piece, sizeof piece, i == from ? "%x" : ":%x", words[i]);
      put(piece);
    }
  };

  text[0] = '\0';
  bool ip4_tail = best_start == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff));
  if (ip4_tail) {
    put(best_len == 5 ? "::ffff:" : "::");
    char quad[kIp4TextMax];
    std::snprintf(quad, sizeof quad, "%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
    put(quad);
  } else if (best_start < 0) {
    put_hex_words(0, 8);
  } else {
    put_hex_words(0, best_start);
    put("::");
    put_hex_words(best_start + best_len, 8);
  }
  return emit(text, len, dst, size);
}

}  // namespace

extern "C" {

int uv_inet_pton(int af, const char* src, void* dst) {
  if (src == nullptr || dst == nullptr) return UV_EINVAL;
  unsigned char* out = static_cast<unsigned char*>(dst);
  switch (af) {
    case AF_INET:
      return parse_ip4(src, src + std::strlen(src), out);
    case AF_INET6: {
      // A zone ("%eth0", "%3") is accepted and ignored: it is not part of the 16 bytes.
      const char* end = std::strchr(src, '%');
      if (end == nullptr) end = src + std::strlen(src);
      if (static_cast<size_t>(end - src) >= kIp6TextMax) return UV_EINVAL;
      return parse_ip6(src, end, out);
    }
    default:
      return UV_EAFNOSUPPORT;
  }
}

int uv_inet_ntop(int af, const void* src, char* dst, size_t size) {
  if (af != AF_INET && af != AF_INET6) return UV_EAFNOSUPPORT;
  if (src == nullptr) return UV_EINVAL;
  const unsigned char* bytes = static_cast<const unsigned char*>(src);
  return af == AF_INET ? format_ip4(bytes, dst, size) : format_ip6(bytes, dst, size);
}

int uv_ip4_addr(const char* ip, int port, struct sockaddr_in* addr) {
  if (addr == nullptr) return UV_EINVAL;
  std::memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_port = htons(static_cast<u_short>(port));
  return uv_inet_pton(AF_INET, ip, &addr->sin_addr);
}

int uv_ip6_addr(const char* ip, int port, struct sockaddr_in6* addr) {
  if (addr == nullptr) return UV_EINVAL;
  std::memset(addr, 0, sizeof *addr);
  addr->sin6_family = AF_INET6;
  addr->sin6_port = htons(static_cast<u_short>(port));
  if (ip == nullptr) return UV_EINVAL;

  // Scope: "fe80::1%4" (an interface index) or "fe80::1%ethernet_0" (an interface name, looked up
  // with if_nametoindex). As in libuv, an unknown interface silently leaves the scope at 0.
  const char* zone = std::strchr(ip, '%');
  if (zone != nullptr && zone[1] != '\0') {
    ++zone;
    bool numeric = true;
    for (const char* c = zone; *c != '\0'; ++c) numeric = numeric && is_dec(*c);
    if (numeric) {
      unsigned long index = std::strtoul(zone, nullptr, 10);
      addr->sin6_scope_id = index > 0xFFFFFFFFul ? 0 : static_cast<ULONG>(index);
    } else {
      addr->sin6_scope_id = if_nametoindex(zone);
    }
  }
  return uv_inet_pton(AF_INET6, ip, &addr->sin6_addr);
}

int uv_ip4_name(const struct sockaddr_in* src, char* dst, size_t size) {
  if (src == nullptr) return UV_EINVAL;
  return uv_inet_ntop(AF_INET, &src->sin_addr, dst, size);
}

int uv_ip6_name(const struct sockaddr_in6* src, char* dst, size_t size) {
  if (src == nullptr) return UV_EINVAL;
  return uv_inet_ntop(AF_INET6, &src->sin6_addr, dst, size);
}

int uv_ip_name(const struct sockaddr* src, char* dst, size_t size) {
  if (src == nullptr) return UV_EINVAL;
  switch (src->sa_family) {
    case AF_INET:
      return uv_ip4_name(reinterpret_cast<const struct sockaddr_in*>(src), dst, size);
    case AF_INET6:
      return uv_ip6_name(reinterpret_cast<const struct sockaddr_in6*>(src), dst, size);
    default:
      return UV_EAFNOSUPPORT;
  }
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

uint64_t uv_hrtime(void) {
  static const uint64_t frequency = [] {
    LARGE_INTEGER f;
    QueryPerformanceFrequency(&f);  // cannot fail on XP and later
    return static_cast<uint64_t>(f.QuadPart);
  }();
  LARGE_INTEGER now;
  QueryPerformanceCounter(&now);
  uint64_t ticks = static_cast<uint64_t>(now.QuadPart);
  // Whole seconds and the remainder separately, so nothing overflows for any realistic counter
  // frequency (the remainder product stays below 2^64 up to ~18 GHz).
  constexpr uint64_t kNanosPerSecond = 1000000000u;
  return (ticks / frequency) * kNanosPerSecond + (ticks % frequency) * kNanosPerSecond / frequency;
}

void uv_sleep(unsigned int msec) { Sleep(msec); }

// ---------------------------------------------------------------------------------------------
// Version
// ---------------------------------------------------------------------------------------------

#define UVAFD_TEXT_(x) #x
#define UVAFD_TEXT(x) UVAFD_TEXT_(x)
#define UVAFD_VERSION_BASE \
  UVAFD_TEXT(UV_VERSION_MAJOR) "." UVAFD_TEXT(UV_VERSION_MINOR) "." UVAFD_TEXT(UV_VERSION_PATCH)
#if UV_VERSION_IS_RELEASE
#define UVAFD_VERSION_STRING UVAFD_VERSION_BASE
#else
#define UVAFD_VERSION_STRING UVAFD_VERSION_BASE "-" UV_VERSION_SUFFIX
#endif

unsigned int uv_version(void) { return UV_VERSION_HEX; }

const char* uv_version_string(void) { return UVAFD_VERSION_STRING; }

// ---------------------------------------------------------------------------------------------
// Allocator replacement, program arguments, shutdown
// ---------------------------------------------------------------------------------------------

int uv_replace_allocator(uv_malloc_func malloc_func, uv_realloc_func realloc_func,
                         uv_calloc_func calloc_func, uv_free_func free_func) {
  if (malloc_func == nullptr || realloc_func == nullptr || calloc_func == nullptr ||
      free_func == nullptr)
    return UV_EINVAL;
  g_allocator = Allocator{malloc_func, realloc_func, calloc_func, free_func};
  return 0;
}

}  // extern "C"

namespace {

// One uv_setup_args() copy: a header, then argc + 1 pointers, then the strings, all in one
// allocation. The free function current at allocation time is remembered so that a later
// uv_replace_allocator() cannot make us free with the wrong allocator. Copies are chained so
// that a (discouraged) second uv_setup_args() does not invalidate the first.
struct ArgsBlock {
  ArgsBlock* previous;
  uv_free_func free_fn;
};

std::atomic<ArgsBlock*> g_args{nullptr};
std::atomic<bool> g_shut_down{false};

}  // namespace

extern "C" {

// libuv on Windows hands argv back untouched; on Unix it returns a copy in one block. We copy,
// through the allocator, and the copy stays valid until uv_library_shutdown() (which is when
// libuv releases it too). If the copy cannot be made, argv itself is returned.
char** uv_setup_args(int argc, char** argv) {
  if (argc <= 0 || argv == nullptr) return argv;

  size_t count = static_cast<size_t>(argc);
  size_t strings = 0;
  for (size_t i = 0; i < count; ++i) strings += std::strlen(argv[i] != nullptr ? argv[i] : "") + 1;

  size_t header = (sizeof(ArgsBlock) + alignof(char*) - 1) / alignof(char*) * alignof(char*);
  size_t total = header + (count + 1) * sizeof(char*) + strings;
  void* memory = uv_malloc_(total);
  if (memory == nullptr) return argv;

  auto* block = static_cast<ArgsBlock*>(memory);
  block->free_fn = g_allocator.free_fn;
  char** copy = reinterpret_cast<char**>(static_cast<char*>(memory) + header);
  char* text = reinterpret_cast<char*>(copy + count + 1);
  for (size_t i = 0; i < count; ++i) {
    const char* arg = argv[i] != nullptr ? argv[i] : "";
    size_t n = std::strlen(arg) + 1;
    std::memcpy(text, arg, n);
    copy[i] = text;
    text += n;
  }
  copy[count] = nullptr;

  block->previous = g_args.load();
  while (!g_args.compare_exchange_weak(block->previous, block)) {
  }
  return copy;
}

// Idempotent: only the first call releases anything. What this file holds is the argv copies.
void uv_library_shutdown(void) {
  if (g_shut_down.exchange(true)) return;
  ArgsBlock* block = g_args.exchange(nullptr);
  while (block != nullptr) {
    ArgsBlock* previous = block->previous;
    int saved_errno = errno;
    block->free_fn(block);
    errno = saved_errno;
    block = previous;
  }
}

}  // extern "C"

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

namespace {

// A UTF-16 copy of a UTF-8 string, allocated through the allocator.
class WideString {
 public:
  WideString() = default;
  WideString(const WideString&) = delete;
  WideString& operator=(const WideString&) = delete;
  ~WideString() { uv_free_(text_); }

  // 0 or a UV_E* code.
  int assign(const char* utf8) {
    int units = MultiByteToWideChar(CP_UTF8, 0, utf8, -1, nullptr, 0);
    if (units == 0) return uv_translate_sys_error(static_cast<int>(GetLastError()));
    text_ = static_cast<wchar_t*>(uv_malloc_(static_cast<size_t>(units) * sizeof(wchar_t)));
    if (text_ == nullptr) return UV_ENOMEM;
    if (MultiByteToWideChar(CP_UTF8, 0, utf8, -1, text_, units) == 0)
      return uv_translate_sys_error(static_cast<int>(GetLastError()));
    return 0;
  }

  const wchar_t* get() const { return text_; }

 private:
  wchar_t* text_ = nullptr;
};

}  // namespace

extern "C" {

int uv_os_getenv(const char* name, char* buffer, size_t* size) {
  if (name == nullptr || buffer == nullptr || size == nullptr || *size == 0) return UV_EINVAL;

  WideString wide_name;
  int err = wide_name.assign(name);
  if (err != 0) return err;

  // Read the value, growing the buffer if needed (another thread may change the variable between
  // the size query and the read, hence the loop).
  wchar_t small[256];
  wchar_t* value = small;
  DWORD capacity = sizeof small / sizeof small[0];
  DWORD length;
  for (;;) {
    SetLastError(ERROR_SUCCESS);
    length = GetEnvironmentVariableW(wide_name.get(), value, capacity);
    if (length < capacity) break;
    if (value != small) uv_free_(value);
    capacity = length + 1;
    value = static_cast<wchar_t*>(uv_malloc_(capacity * sizeof(wchar_t)));
    if (value == nullptr) return UV_ENOMEM;
  }

  struct Release {
    wchar_t* value;
    wchar_t* small;
    ~Release() {
      if (value != small) uv_free_(value);
    }
  } release{value, small};

  if (length == 0) {
    DWORD error = GetLastError();
    if (error != ERROR_SUCCESS) return uv_translate_sys_error(static_cast<int>(error));
    // Set but empty: fall through and return "".
  }

  int needed = WideCharToMultiByte(CP_UTF8, 0, value, -1, nullptr, 0, nullptr, nullptr);
  if (needed <= 0) return uv_translate_sys_error(static_cast<int>(GetLastError()));
  if (static_cast<size_t>(needed) > *size) {
    *size = static_cast<size_t>(needed);  // includes the terminating NUL
    return UV_ENOBUFS;
  }
  int written = WideCharToMultiByte(CP_UTF8, 0, value, -1, buffer, needed, nullptr, nullptr);
  if (written <= 0) return uv_translate_sys_error(static_cast<int>(GetLastError()));
  *size = static_cast<size_t>(written) - 1;  // excludes the NUL
  return 0;
}

int uv_os_setenv(const char* name, const char* value) {
  if (name == nullptr || value == nullptr) return UV_EINVAL;
  WideString wide_name, wide_value;
  int err = wide_name.assign(name);
  if (err == 0) err = wide_value.assign(value);
  if (err != 0) return err;
  if (!SetEnvironmentVariableW(wide_name.get(), wide_value.get()))
    return uv_translate_sys_error(static_cast<int>(GetLastError()));
  return 0;
}

int uv_os_unsetenv(const char* name) {
  if (name == nullptr) return UV_EINVAL;
  WideString wide_name;
  int err = wide_name.assign(name);
  if (err != 0) return err;
  if (!SetEnvironmentVariableW(wide_name.get(), nullptr)) {
    DWORD error = GetLastError();
    // libuv documents that removing a variable that does not exist succeeds.
    if (error == ERROR_ENVVAR_NOT_FOUND) return 0;
    return uv_translate_sys_error(static_cast<int>(error));
  }
  return 0;
}

}  // extern "C"
