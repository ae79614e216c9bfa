// Translation between uvafd interest bits and AFD poll event bits. The only place that knows
// which AFD bit means what.
#pragma once

#include <cstdint>

namespace uvafd {

constexpr uint32_t kAfdReceive = 0x0001;
constexpr uint32_t kAfdReceiveExpedited = 0x0002;
constexpr uint32_t kAfdSend = 0x0004;
constexpr uint32_t kAfdDisconnect = 0x0008;
constexpr uint32_t kAfdAbort = 0x0010;
constexpr uint32_t kAfdLocalClose = 0x0020;
constexpr uint32_t kAfdConnect = 0x0040;
constexpr uint32_t kAfdAccept = 0x0080;
constexpr uint32_t kAfdConnectFail = 0x0100;

// The AFD mask to submit for an interest. Never empty: LOCAL_CLOSE is always included, because
// a poll with an empty mask stays pending forever and because closesocket() under a live poll
// must complete it. CONNECT is never asked for: it stays set once connected and would complete
// every poll at once; SEND covers writability.
uint32_t afd_mask_for_interest(uint32_t interest);

// The uvafd event bits (UVAFD_READABLE...UVAFD_ERROR, UVAFD_LOCAL_CLOSE) an AFD result means.
// Not filtered by interest.
uint32_t events_from_afd(uint32_t afd_events);

}  // namespace uvafd
