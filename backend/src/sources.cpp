// Embedded wakeup sources: uvafd_wake's coalescing and identity in memory the caller owns
// (uvafd/reactor.h), so an idle source costs the reactor nothing.
//
// The word is the whole state: (generation << 2) | one of three states in the low bits:
//   0         idle: the next wake posts a packet;
//   kInFlight a packet is in the port (or a sender is between its CAS and its post);
//   kTaken    the packet was delivered and the caller has not yet acted on it (libuv's
//             async_sent until async_cb: the sends of that time are covered by it).
// Senders post only from idle (one CAS); the reactor thread turns kInFlight into kTaken when it
// dequeues the packet, and kTaken into idle when the caller rearms. Open: generation != 0.
// Closed with a packet in flight: kInFlight with generation 0, the source on closed_sources_
// until the packet is dequeued or the sender gives the bit back after a failed post. Released:
// 0. Only the reactor thread changes the generation (open, close) and the kTaken bit; other
// threads only set kInFlight, only from idle with a generation not 0, and clear it again when
// their post failed.
//
// Why the caller's memory can hold it: the reactor releases a closed source only when no
// packet can still name it (kInFlight is clear), so no packet ever reaches memory the caller
// has reused. What uvafd_wakeup_open's zombie gives instead (the caller's memory free at once
// on close) is paid with a 128-byte PinnedState for every source, in flight or not.
#include <atomic>

#include "reactor.h"

namespace uvafd {

namespace {

using Word = uintptr_t;
constexpr Word kInFlight = 1;
constexpr Word kTaken = 2;
constexpr Word kStateBits = kInFlight | kTaken;
constexpr int kGenerationShift = 2;
constexpr Word kGenerationMask = ~Word(0) >> kGenerationShift;  // what fits above the state

Word generation_of(Word w) { return w >> kGenerationShift; }

// The word is a plain pointer-sized integer in a C struct (aligned as the caller's struct is:
// a uv_async_t is only 4-aligned on x86); GCC's builtins give it std::atomic's operations.
Word load(const uvafd_source* s) { return __atomic_load_n(&s->word, __ATOMIC_ACQUIRE); }
void store(uvafd_source* s, Word w) { __atomic_store_n(&s->word, w, __ATOMIC_RELEASE); }
bool cas(uvafd_source* s, Word* expected, Word desired) {
  return __atomic_compare_exchange_n(&s->word, expected, desired, true, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE);
}

}  // namespace

int Reactor::source_open(uvafd_source* src) {
  if (closed_) return UVAFD_EBADF;
  if (!src) return UVAFD_EINVAL;
  src->prev = src->next = nullptr;
  // 62 bits on x64 (centuries at a billion opens a second); 30 on x86, where a wrap is harmless
  // (uvafd/reactor.h) but must skip 0, which means closed.
  Word generation = Word(next_source_generation_++) & kGenerationMask;
  if (generation == 0) generation = Word(next_source_generation_++) & kGenerationMask;
  store(src, generation << kGenerationShift);
  return 0;
}

int Reactor::source_wake(uvafd_source* src) {
  // Any thread. Touches the source's word and the port, nothing else of the reactor: with a
  // million sources and one sender, every shared line would move between the cores per event.
  if (!src) return UVAFD_EINVAL;
  // Dekker with source_rearm's clear-then-act, as in wake().
  std::atomic_thread_fence(std::memory_order_seq_cst);
  Word w = load(src);
  for (;;) {
    if (generation_of(w) == 0) return UVAFD_EBADF;  // closed
    if (w & kStateBits) return 0;  // covered by a delivery not yet acted on
    if (cas(src, &w, w | kInFlight)) break;
  }
  // Information carries the generation (its low half on x86: on_source_packet compares that).
  const NtStatus st = kernel_.post_packet(port_, source_key_, src, kStatusSuccess,
                                          uintptr_t(generation_of(w)));
  if (!nt_error(st)) return 0;
  // No packet will come: give the bit back. If the source was closed meanwhile the reactor
  // finds it on closed_sources_ with nothing in flight and releases it.
  __atomic_fetch_and(&src->word, ~kInFlight, __ATOMIC_ACQ_REL);
  return kernel_.error_from_status(st);
}

int Reactor::source_rearm(uvafd_source* src) {
  if (closed_) return UVAFD_EBADF;
  if (!src) return UVAFD_EINVAL;
  const Word w = load(src);
  if (generation_of(w) == 0) return UVAFD_EBADF;
  if (!(w & kTaken)) return UVAFD_EINVAL;  // no delivery since the last rearm
  // Idle again before the caller acts: a wake sent while it acts must post a new packet.
  // Senders leave a taken word alone, so a plain store cannot lose one of theirs.
  store(src, w & ~kTaken);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // the other half of source_wake's
  return 0;
}

int Reactor::source_close(uvafd_source* src) {
  if (closed_) return UVAFD_EBADF;
  if (!src) return UVAFD_EINVAL;
  Word w = load(src);
  // Generation 0: later wakes are refused. Only a packet in flight is kept: a taken delivery
  // names nothing any more (its packet is out of the port).
  do {
    if (generation_of(w) == 0) return UVAFD_EBADF;  // closed already
  } while (!cas(src, &w, w & kInFlight));
  if (!(w & kInFlight) || faults_.release_source_early) return 0;  // the word is 0: the caller's
  src->prev = nullptr;
  src->next = closed_sources_;
  if (closed_sources_) closed_sources_->prev = src;
  closed_sources_ = src;
  return 1;
}

void Reactor::on_source_packet(const Completion& c, uvafd_event_cb cb, void* arg,
                               int* delivered) {
  auto* src = static_cast<uvafd_source*>(c.context);
  const Word w = load(src);
  if (!(w & kInFlight)) {  // one packet per set bit: this one was never posted by us
    ++s_.misrouted;
    return;
  }
  const Word generation = generation_of(w);
  if (generation == 0) {  // closed with this packet in flight: the memory goes back now
    store(src, 0);
    unlink_closed_source(src);
    emit_source(src, uint64_t(c.information), UVAFD_RELEASED, cb, arg, delivered);
    return;
  }
  // A live source's packet is always its own (the memory is not released under a packet), so
  // a mismatch is a bug: counted and dropped.
  if ((uint64_t(c.information) & wake_generation_mask_) !=
          (uint64_t(generation) & wake_generation_mask_) &&
      !faults_.skip_generation_check) {
    ++s_.misrouted;
    return;
  }
  // Taken, not idle: the sends until the caller rearms (just before it acts on the wakeup) are
  // covered by this delivery. Senders never touch a word whose state bits are set.
  store(src, (generation << kGenerationShift) | (faults_.idle_on_delivery ? 0 : kTaken));
  ++s_.wakes_delivered;
  emit_source(src, generation, UVAFD_WAKEUP, cb, arg, delivered);
}

bool Reactor::closed_source_done() const {
  for (const uvafd_source* s = closed_sources_; s; s = s->next)
    if (!(load(s) & kInFlight)) return true;
  return false;
}

void Reactor::release_closed_sources(uvafd_event_cb cb, void* arg, int* delivered) {
  // Sources whose sender's post failed: nothing is in flight, so nothing will be dequeued.
  for (uvafd_source* s = closed_sources_; s;) {
    uvafd_source* next = s->next;  // the callback may reuse s; only the reactor unlinks
    if (!(load(s) & kInFlight)) {
      unlink_closed_source(s);
      emit_source(s, 0, UVAFD_RELEASED, cb, arg, delivered);
    }
    s = next;
  }
}

void Reactor::unlink_closed_source(uvafd_source* src) {
  if (src->prev) src->prev->next = src->next;
  else closed_sources_ = src->next;
  if (src->next) src->next->prev = src->prev;
  src->prev = src->next = nullptr;
}

void Reactor::emit_source(uvafd_source* src, uint64_t generation, uint32_t events,
                          uvafd_event_cb cb, void* arg, int* delivered) {
  ++s_.events_delivered;
  ++*delivered;
  if (!cb) return;
  const uvafd_event ev{uvafd_handle{generation, 0, 0}, src, events, 0};
  call_guarded([&] { cb(arg, &ev); });
}

}  // namespace uvafd
