#include "base_socket.h"

#include <initializer_list>

#include "uvafd/reactor.h"

namespace uvafd {

namespace {

constexpr KHandle kInvalidSocket = ~KHandle(0);

bool usable(KHandle h) { return h != 0 && h != kInvalidSocket; }

}  // namespace

int find_base_socket(Kernel& kernel, KHandle socket, KHandle* base, uint64_t* kernel_calls) {
  // Wine answers SIO_BASE_HANDLE for any value, socket or not: ask whether it is one first.
  ++*kernel_calls;
  if (int err = kernel.probe_socket(socket)) return err;

  KHandle visited[kMaxProviderLayers];
  int depth = 0;
  int first_error = 0;
  KHandle layer = socket;
  for (;;) {
    KHandle out = 0;
    ++*kernel_calls;
    int err = kernel.socket_ioctl(layer, kSioBaseHandle, &out);
    if (err == 0 && usable(out)) {
      *base = out;
      return 0;
    }
    if (err == 0) err = UVAFD_EIO;  // "succeeded" with no socket: as unhelpful as a failure
    if (first_error == 0) first_error = err;
    if (err == UVAFD_ENOTSOCK) break;  // not a socket at this layer: nothing below to ask
    visited[depth++] = layer;
    if (depth == kMaxProviderLayers) break;

    KHandle next = 0;
    for (const uint32_t code : {kSioBspHandlePoll, kSioBspHandleSelect, kSioBspHandle}) {
      ++*kernel_calls;
      if (kernel.socket_ioctl(layer, code, &out) == 0 && usable(out) && out != layer) {
        next = out;
        break;
      }
    }
    if (next == 0) break;
    bool loops = false;
    for (int i = 0; i < depth; ++i) loops |= visited[i] == next;
    if (loops) break;
    layer = next;
  }
  return first_error == UVAFD_EIO ? UVAFD_ENOTSOCK : first_error;
}

}  // namespace uvafd
