#include "afd_events.h"

#include "uvafd/reactor.h"

namespace uvafd {

uint32_t afd_mask_for_interest(uint32_t interest) {
  uint32_t mask = kAfdLocalClose;
  // ABORT and DISCONNECT make a socket readable (recv returns the error or EOF); ACCEPT is how
  // a listening socket becomes readable.
  if (interest & UVAFD_READABLE)
    mask |= kAfdReceive | kAfdAccept | kAfdDisconnect | kAfdAbort | kAfdConnectFail;
  // A failed connect is reported as writable, like select() and libuv do; the caller reads
  // SO_ERROR. ABORT too, so that a writer blocked on a reset socket wakes up.
  if (interest & UVAFD_WRITABLE) mask |= kAfdSend | kAfdConnectFail | kAfdAbort;
  if (interest & UVAFD_DISCONNECT) mask |= kAfdDisconnect | kAfdAbort;
  if (interest & UVAFD_PRIORITIZED) mask |= kAfdReceiveExpedited;
  // Errors alone: what epoll reports whatever was asked for (EPOLLERR, EPOLLHUP).
  if (interest & UVAFD_ERROR) mask |= kAfdConnectFail | kAfdAbort;
  return mask;
}

uint32_t events_from_afd(uint32_t afd) {
  uint32_t events = 0;
  if (afd & (kAfdReceive | kAfdAccept | kAfdDisconnect | kAfdAbort | kAfdConnectFail))
    events |= UVAFD_READABLE;
  if (afd & (kAfdSend | kAfdConnectFail | kAfdAbort)) events |= UVAFD_WRITABLE;
  if (afd & (kAfdDisconnect | kAfdAbort)) events |= UVAFD_DISCONNECT;
  if (afd & kAfdReceiveExpedited) events |= UVAFD_PRIORITIZED;
  if (afd & (kAfdAbort | kAfdConnectFail)) events |= UVAFD_ERROR;
  if (afd & kAfdConnectFail) events |= UVAFD_CONNECT_FAILED;
  if (afd & kAfdLocalClose) events |= UVAFD_LOCAL_CLOSE;
  return events;
}

}  // namespace uvafd
