// uv_poll_t on a uvafd registration. One registration per handle, opened at init: the socket
// is validated once, and the handle's identity in the reactor is (slot, generation), kept in
// libuv's private afd_poll_info_1 field, so a reused SOCKET value can never reach it.
#include <winsock2.h>
#include <io.h>

#include "internal.h"

namespace uvafd_compat {

namespace {

uvafd_handle* token(uv_poll_t* h) { return token_in(&h->afd_poll_info_1); }

uvafd_reactor* reactor_of(const uv_poll_t* h) { return loop_state(h->loop)->reactor; }

}  // namespace

void poll_close(uv_poll_t* handle) {
  handle->events = 0;
  handle_stop(reinterpret_cast<uv_handle_t*>(handle));
  // Never waits: a poll in flight leaves a zombie in the reactor, freed by its completion.
  uvafd_handle_close(reactor_of(handle), *token(handle));
}

static void poll_event(uv_poll_t* handle, const uvafd_event* e) {
  if (handle_is_closing(reinterpret_cast<uv_handle_t*>(handle))) return;
  if (e->status < 0) {
    handle->poll_cb(handle, error_from_uvafd(e->status), 0);
    return;
  }
  if (e->events & UVAFD_LOCAL_CLOSE) {
    // The socket was closed under the handle: stop polling, as libuv does; the value may
    // already be another socket's.
    handle->events = 0;
    handle_stop(reinterpret_cast<uv_handle_t*>(handle));
  }
  const int events = int(e->events & handle->events &
                         (UV_READABLE | UV_WRITABLE | UV_DISCONNECT | UV_PRIORITIZED));
  if (events) handle->poll_cb(handle, 0, events);
}

void dispatch_event(void* /*loop*/, const uvafd_event* e) {
  auto* h = static_cast<uv_handle_t*>(e->user_data);
  if (!h) return;
  if (h->type == UV_POLL) {
    poll_event(reinterpret_cast<uv_poll_t*>(h), e);
  } else if (h->type == UV_ASYNC && (e->events & UVAFD_WAKEUP)) {
    auto* a = reinterpret_cast<uv_async_t*>(h);
    if (!handle_is_closing(h) && a->async_cb) a->async_cb(a);
  }
}

}  // namespace uvafd_compat

using namespace uvafd_compat;

extern "C" {

int uv_poll_init_socket(uv_loop_t* loop, uv_poll_t* handle, uv_os_sock_t socket) {
  if (!loop || !handle || !loop_state(loop)) return UV_EINVAL;
  if (socket == INVALID_SOCKET) return UV_EBADF;
  // libuv makes the socket non-blocking; programs rely on it.
  u_long yes = 1;
  if (ioctlsocket(socket, FIONBIO, &yes) == SOCKET_ERROR)
    return uv_translate_sys_error(WSAGetLastError());
  uvafd_handle h{};
  const int err = uvafd_poll_open(loop_state(loop)->reactor, uintptr_t(socket), handle, &h);
  if (err) return error_from_uvafd(err);
  handle_init(loop, reinterpret_cast<uv_handle_t*>(handle), UV_POLL);
  handle->socket = socket;
  handle->events = 0;
  handle->poll_cb = nullptr;
  *token(handle) = h;
  return 0;
}

int uv_poll_init(uv_loop_t* loop, uv_poll_t* handle, int fd) {
  // A CRT file descriptor: its OS handle must be a socket.
  const intptr_t os = _get_osfhandle(fd);
  if (os == -1 || os == -2) return UV_EBADF;
  return uv_poll_init_socket(loop, handle, uv_os_sock_t(os));
}

int uv_poll_start(uv_poll_t* handle, int events, uv_poll_cb cb) {
  const int known = UV_READABLE | UV_WRITABLE | UV_DISCONNECT | UV_PRIORITIZED;
  if (!handle || (events & ~known) || handle_is_closing(reinterpret_cast<uv_handle_t*>(handle)))
    return UV_EINVAL;
  if (events && !cb) return UV_EINVAL;
  const int err = uvafd_poll_set_interest(reactor_of(handle), *token(handle), uint32_t(events));
  if (err) return error_from_uvafd(err);
  handle->events = static_cast<unsigned char>(events);
  handle->poll_cb = cb;
  if (events)
    handle_start(reinterpret_cast<uv_handle_t*>(handle));
  else
    handle_stop(reinterpret_cast<uv_handle_t*>(handle));
  return 0;
}

int uv_poll_stop(uv_poll_t* handle) {
  if (!handle || handle_is_closing(reinterpret_cast<uv_handle_t*>(handle))) return 0;
  // A registration whose socket was closed under it already stopped; that is not an error.
  uvafd_poll_set_interest(reactor_of(handle), *token(handle), 0);
  handle->events = 0;
  handle_stop(reinterpret_cast<uv_handle_t*>(handle));
  return 0;
}

}  // extern "C"
