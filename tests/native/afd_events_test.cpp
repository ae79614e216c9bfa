#include <catch.hpp>

#include "afd_events.h"
#include "uvafd/reactor.h"

using namespace uvafd;

TEST_CASE("afd mask: never empty, always LOCAL_CLOSE, never CONNECT", "[afd]") {
  for (uint32_t interest = 0; interest <= UVAFD_INTEREST_MASK; ++interest) {
    const uint32_t mask = afd_mask_for_interest(interest);
    CHECK((mask & kAfdLocalClose) != 0);
    CHECK((mask & kAfdConnect) == 0);
  }
}

TEST_CASE("afd mask: each interest asks for what reports it", "[afd]") {
  CHECK((afd_mask_for_interest(UVAFD_READABLE) & (kAfdReceive | kAfdAccept | kAfdDisconnect)) ==
        (kAfdReceive | kAfdAccept | kAfdDisconnect));
  CHECK((afd_mask_for_interest(UVAFD_WRITABLE) & (kAfdSend | kAfdConnectFail)) ==
        (kAfdSend | kAfdConnectFail));
  CHECK((afd_mask_for_interest(UVAFD_WRITABLE) & kAfdReceive) == 0);
  CHECK((afd_mask_for_interest(UVAFD_READABLE) & kAfdSend) == 0);
  CHECK((afd_mask_for_interest(UVAFD_DISCONNECT) & kAfdDisconnect) != 0);
  CHECK((afd_mask_for_interest(UVAFD_PRIORITIZED) & kAfdReceiveExpedited) != 0);
  // Whatever the mask asks for maps back to the interest that asked (no event the user could
  // not have wanted makes a poll complete without reporting something it asked for).
  for (uint32_t interest = 1; interest <= UVAFD_INTEREST_MASK; ++interest) {
    const uint32_t mask = afd_mask_for_interest(interest) & ~kAfdLocalClose;
    for (uint32_t bit = 1; bit <= kAfdConnectFail; bit <<= 1)
      if (mask & bit) CHECK((events_from_afd(bit) & interest) != 0);
  }
}

TEST_CASE("afd events: translation of each bit", "[afd]") {
  CHECK(events_from_afd(kAfdReceive) == UVAFD_READABLE);
  CHECK(events_from_afd(kAfdAccept) == UVAFD_READABLE);
  CHECK(events_from_afd(kAfdSend) == UVAFD_WRITABLE);
  CHECK(events_from_afd(kAfdDisconnect) == (UVAFD_READABLE | UVAFD_DISCONNECT));
  CHECK(events_from_afd(kAfdReceiveExpedited) == UVAFD_PRIORITIZED);
  CHECK(events_from_afd(kAfdAbort) ==
        (UVAFD_READABLE | UVAFD_WRITABLE | UVAFD_DISCONNECT | UVAFD_ERROR));
  CHECK(events_from_afd(kAfdConnectFail) ==
        (UVAFD_READABLE | UVAFD_WRITABLE | UVAFD_ERROR | UVAFD_CONNECT_FAILED));
  CHECK(events_from_afd(kAfdLocalClose) == UVAFD_LOCAL_CLOSE);
  CHECK(events_from_afd(kAfdConnect) == 0);
  CHECK(events_from_afd(0) == 0);
}
