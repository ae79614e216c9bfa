#include "sim_kernel.h"

#include <algorithm>
#include <chrono>

#include "afd_events.h"
#include "uvafd/reactor.h"

namespace uvafd {

namespace {
// A finite wait longer than this is cut to it: wait_for converts to nanoseconds, which would
// overflow near 300 years; no test waits a day.
constexpr int64_t kLongestSimulatedWaitMs = 24 * 3600 * 1000;
}  // namespace

SimKernel::SimKernel(uint64_t seed) : rng_(seed) {}

KHandle SimKernel::allocate_handle(Kind kind) {
  // Windows hands out the lowest free slot of the handle table at once.
  KHandle h = 4;
  while (objects_.count(h)) h += 4;
  objects_[h] = Object{kind};
  if (!ever_used_.insert(h).second && kind == Kind::Socket) ++c_.handles_reused;
  return h;
}

KHandle SimKernel::socket_create() {
  std::lock_guard<std::mutex> lock(mu_);
  const KHandle h = allocate_handle(Kind::Socket);
  const uint64_t id = next_socket_++;
  objects_[h].socket = id;
  sockets_[id].handles = 1;
  return h;
}

KHandle SimKernel::socket_duplicate(KHandle s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!socket_of_locked(s)) return 0;
  const uint64_t id = objects_[s].socket;
  const KHandle h = allocate_handle(Kind::Socket);
  objects_[h].socket = id;
  ++sockets_[id].handles;
  return h;
}

SimKernel::Socket* SimKernel::socket_of_locked(KHandle h) {
  auto it = objects_.find(h);
  if (it == objects_.end() || it->second.kind != Kind::Socket) return nullptr;
  return &sockets_[it->second.socket];
}

void SimKernel::socket_set_ioctl(KHandle s, uint32_t code, int error, KHandle answer) {
  std::lock_guard<std::mutex> lock(mu_);
  ioctls_[{s, code}] = IoctlAnswer{error, answer};
}

void SimKernel::set_information_bits(unsigned bits) {
  std::lock_guard<std::mutex> lock(mu_);
  information_bits_ = bits;
}

void SimKernel::set_can_compare_objects(bool can) {
  std::lock_guard<std::mutex> lock(mu_);
  can_compare_ = can;
}

KHandle SimKernel::file_create() {
  std::lock_guard<std::mutex> lock(mu_);
  return allocate_handle(Kind::File);
}

bool SimKernel::socket_is_open(KHandle s) {
  std::lock_guard<std::mutex> lock(mu_);
  return socket_of_locked(s) != nullptr;
}

void SimKernel::socket_close(KHandle s) { close_handle(s); }

void SimKernel::socket_set_ready(KHandle s, uint32_t bits) {
  std::lock_guard<std::mutex> lock(mu_);
  Socket* sock = socket_of_locked(s);
  if (!sock) return;
  sock->ready = bits;
  complete_ready_locked(objects_[s].socket);
}

void SimKernel::socket_add_ready(KHandle s, uint32_t bits) {
  std::lock_guard<std::mutex> lock(mu_);
  Socket* sock = socket_of_locked(s);
  if (!sock) return;
  sock->ready |= bits;
  complete_ready_locked(objects_[s].socket);
}

void SimKernel::socket_clear_ready(KHandle s, uint32_t bits) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Socket* sock = socket_of_locked(s)) sock->ready &= ~bits;
}

void SimKernel::set_hold_packets(bool hold) {
  std::lock_guard<std::mutex> lock(mu_);
  hold_ = hold;
}

size_t SimKernel::release_packets(size_t max, bool shuffle) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shuffle) std::shuffle(held_.begin(), held_.end(), rng_);
  size_t n = 0;
  while (n < max && !held_.empty()) {
    queue_.push_back(held_.front());
    held_.pop_front();
    ++n;
  }
  if (n) cv_.notify_all();
  return n;
}

void SimKernel::set_async_cancel(bool async) {
  std::lock_guard<std::mutex> lock(mu_);
  async_cancel_ = async;
}

size_t SimKernel::complete_cancelled(size_t max) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (size_t i = 0; i < pending_.size() && n < max;) {
    if (pending_[i].cancel_requested) {
      complete_locked(i, kStatusCancelled, 0);
      ++n;
    } else {
      ++i;
    }
  }
  return n;
}

size_t SimKernel::held_packets() {
  std::lock_guard<std::mutex> lock(mu_);
  return held_.size();
}

void SimKernel::fail_next_submit(NtStatus st) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_submit_ = st;
}
void SimKernel::fail_next_completion(NtStatus st) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_completion_ = st;
}
void SimKernel::fail_next_cancel(NtStatus st) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_cancel_ = st;
}
void SimKernel::fail_next_post(NtStatus st) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_post_ = st;
}
void SimKernel::fail_next_dequeue(NtStatus st) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_dequeue_ = st;
}
void SimKernel::set_owner_check(std::function<bool(void*)> check) {
  std::lock_guard<std::mutex> lock(mu_);
  owner_check_ = std::move(check);
}

SimKernel::Counters SimKernel::counters() {
  std::lock_guard<std::mutex> lock(mu_);
  return c_;
}
size_t SimKernel::pending_requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}
size_t SimKernel::pending_on(KHandle s) {
  std::lock_guard<std::mutex> lock(mu_);
  // An open socket: every poll on it, through whichever handle; else by the value polled.
  const uint64_t id = socket_of_locked(s) ? objects_[s].socket : 0;
  return size_t(std::count_if(pending_.begin(), pending_.end(), [s, id](const Request& r) {
    return id ? r.object == id : r.socket == s;
  }));
}
size_t SimKernel::packets_for(void* context) {
  std::lock_guard<std::mutex> lock(mu_);
  auto match = [context](const Completion& c) { return c.context == context; };
  return size_t(std::count_if(queue_.begin(), queue_.end(), match) +
                std::count_if(held_.begin(), held_.end(), match));
}
uint32_t SimKernel::socket_ready(KHandle s) {
  std::lock_guard<std::mutex> lock(mu_);
  const Socket* sock = socket_of_locked(s);
  return sock ? sock->ready : 0;
}
size_t SimKernel::queued_packets() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void SimKernel::enqueue_locked(const Completion& c) {
  if (hold_) {
    held_.push_back(c);
  } else {
    queue_.push_back(c);
    cv_.notify_all();
  }
}

void SimKernel::complete_locked(size_t index, NtStatus status, uint32_t events) {
  Request r = pending_[index];
  pending_.erase(pending_.begin() + long(index));
  if (owner_check_ && !owner_check_(r.context)) ++c_.unowned_writes;
  if (fail_completion_ && status == kStatusSuccess && events && !(events & kAfdLocalClose)) {
    status = fail_completion_;
    events = 0;
    fail_completion_ = 0;
  }
  // METHOD_BUFFERED: the output buffer and the status block are written at completion.
  r.info->number_of_handles = events ? 1 : 0;
  r.info->handles[0].handle = r.socket;
  r.info->handles[0].events = events;
  r.info->handles[0].status = 0;
  r.iosb->status = status;
  r.iosb->information = sizeof(AfdPollInfo);
  ++c_.completions;
  const uintptr_t key = objects_.count(r.helper) ? objects_[r.helper].key : kKeyAfd;
  enqueue_locked(Completion{key, r.context, status, r.iosb->information});
}

void SimKernel::complete_ready_locked(uint64_t id) {
  const uint32_t ready = sockets_[id].ready;
  for (size_t i = 0; i < pending_.size();) {
    if (pending_[i].object == id && (pending_[i].mask & ready)) {
      complete_locked(i, kStatusSuccess, pending_[i].mask & ready);
    } else {
      ++i;
    }
  }
}

NtStatus SimKernel::create_port(KHandle* port) {
  std::lock_guard<std::mutex> lock(mu_);
  *port = allocate_handle(Kind::Port);
  return kStatusSuccess;
}

NtStatus SimKernel::open_afd_helper(KHandle port, uintptr_t key, KHandle* helper) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(port);
  if (it == objects_.end() || it->second.kind != Kind::Port) return kStatusInvalidHandle;
  *helper = allocate_handle(Kind::Helper);
  objects_[*helper].port = port;
  objects_[*helper].key = key;
  return kStatusSuccess;
}

NtStatus SimKernel::submit_poll(KHandle helper, void* context, IoStatusBlock* iosb,
                                AfdPollInfo* info) {
  std::lock_guard<std::mutex> lock(mu_);
  ++c_.submits;
  if (fail_submit_) {
    const NtStatus st = fail_submit_;
    fail_submit_ = 0;
    ++c_.sync_failures;
    return st;
  }
  auto h = objects_.find(helper);
  if (h == objects_.end() || h->second.kind != Kind::Helper) {
    ++c_.sync_failures;
    return kStatusInvalidHandle;
  }
  const KHandle s = info->handles[0].handle;
  Socket* sock = socket_of_locked(s);
  if (!sock) {
    // Like AFD: a closed value or a non-socket fails at once, queues nothing, writes nothing.
    ++c_.sync_failures;
    return kStatusObjectTypeMismatch;
  }
  const uint32_t mask = info->handles[0].events;
  const uint64_t id = objects_[s].socket;
  // One socket, whichever handle names it: two polls on it lose events on Windows.
  const size_t already = size_t(std::count_if(pending_.begin(), pending_.end(),
                                              [id](const Request& r) { return r.object == id; }));
  if (already) ++c_.second_poll_violations;
  c_.max_pending_per_socket = std::max<uint64_t>(c_.max_pending_per_socket, already + 1);
  pending_.push_back(Request{helper, s, id, mask, context, iosb, info});
  if (mask & sock->ready) {
    // Already ready: completes at once, and still queues its packet.
    complete_locked(pending_.size() - 1, kStatusSuccess, mask & sock->ready);
    return kStatusSuccess;
  }
  return kStatusPending;
}

NtStatus SimKernel::cancel_request(KHandle helper, IoStatusBlock* iosb) {
  std::lock_guard<std::mutex> lock(mu_);
  ++c_.cancels;
  if (fail_cancel_) {
    const NtStatus st = fail_cancel_;
    fail_cancel_ = 0;
    return st;
  }
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (pending_[i].helper == helper && pending_[i].iosb == iosb) {
      if (async_cancel_) {
        pending_[i].cancel_requested = true;
      } else {
        complete_locked(i, kStatusCancelled, 0);
      }
      return kStatusSuccess;
    }
  }
  ++c_.cancels_not_found;
  return kStatusNotFound;
}

NtStatus SimKernel::post_packet(KHandle port, uintptr_t key, void* context, NtStatus status,
                                uintptr_t information) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fail_post_) {
    const NtStatus st = fail_post_;
    fail_post_ = 0;
    return st;
  }
  auto it = objects_.find(port);
  if (it == objects_.end() || it->second.kind != Kind::Port) return kStatusInvalidHandle;
  ++c_.posts;
  if (information_bits_ < sizeof(uintptr_t) * 8)
    information &= (uintptr_t(1) << information_bits_) - 1;
  enqueue_locked(Completion{key, context, status, information});
  return kStatusSuccess;
}

NtStatus SimKernel::dequeue_batch(KHandle port, Completion* out, uint32_t capacity,
                                  uint32_t* count, int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = objects_.find(port);
  if (it == objects_.end() || it->second.kind != Kind::Port) return kStatusInvalidHandle;
  if (fail_dequeue_) {
    const NtStatus st = fail_dequeue_;
    fail_dequeue_ = 0;
    return st;
  }
  auto ready = [this] { return !queue_.empty(); };
  int64_t relative = 0;
  if (!nt_relative_timeout(timeout_ms, &relative)) {  // forever, as NtKernel decides it
    cv_.wait(lock, ready);
  } else if (timeout_ms == 0 ? !ready()  // a zero wait still sleeps a timer slack in futex
                             : !cv_.wait_for(lock, std::chrono::milliseconds(std::min(
                                                       timeout_ms, kLongestSimulatedWaitMs)),
                                             ready)) {
    return kStatusTimeout;  // like Wine: *count untouched
  }
  uint32_t n = 0;
  while (n < capacity && !queue_.empty()) {
    out[n++] = queue_.front();
    queue_.pop_front();
  }
  c_.dequeued += n;
  *count = n;
  return kStatusSuccess;
}

NtStatus SimKernel::close_handle(KHandle handle) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(handle);
  if (it == objects_.end()) return kStatusInvalidHandle;
  const Kind kind = it->second.kind;
  const uint64_t id = it->second.socket;
  // A socket closes with its last handle; only then do its polls complete with LOCAL_CLOSE.
  const bool last = kind == Kind::Socket && --sockets_[id].handles == 0;
  for (size_t i = 0; i < pending_.size();) {
    if (last && pending_[i].object == id) {
      complete_locked(i, kStatusSuccess, kAfdLocalClose);
    } else if (kind == Kind::Helper && pending_[i].helper == handle) {
      complete_locked(i, kStatusCancelled, 0);
    } else {
      ++i;
    }
  }
  if (last) sockets_.erase(id);
  for (auto a = ioctls_.lower_bound({handle, 0}); a != ioctls_.end() && a->first.first == handle;)
    a = ioctls_.erase(a);
  objects_.erase(handle);
  return kStatusSuccess;
}

int SimKernel::probe_socket(KHandle s) {
  std::lock_guard<std::mutex> lock(mu_);
  return socket_of_locked(s) ? 0 : UVAFD_ENOTSOCK;
}

int SimKernel::socket_ioctl(KHandle s, uint32_t code, KHandle* out) {
  std::lock_guard<std::mutex> lock(mu_);
  ++c_.socket_ioctls;
  if (!socket_of_locked(s)) return UVAFD_ENOTSOCK;
  auto it = ioctls_.find({s, code});
  if (it != ioctls_.end()) {
    if (it->second.error) return it->second.error;
    *out = it->second.answer;
    return 0;
  }
  // No provider above the base one: every question names the socket itself.
  *out = s;
  return 0;
}

bool SimKernel::can_compare_objects() {
  std::lock_guard<std::mutex> lock(mu_);
  return can_compare_;
}

int SimKernel::same_object(KHandle a, KHandle b) {
  std::lock_guard<std::mutex> lock(mu_);
  ++c_.object_queries;
  if (!can_compare_) return -1;
  auto x = objects_.find(a), y = objects_.find(b);
  if (x == objects_.end() || y == objects_.end()) return 0;  // as CompareObjectHandles: FALSE
  if (x->second.kind == Kind::Socket && y->second.kind == Kind::Socket)
    return x->second.socket == y->second.socket ? 1 : 0;
  return a == b ? 1 : 0;
}

uint32_t SimKernel::handle_count(KHandle h) {
  std::lock_guard<std::mutex> lock(mu_);
  ++c_.object_queries;
  const Socket* sock = socket_of_locked(h);
  if (sock) return sock->handles;
  return objects_.count(h) ? 1 : 0;
}

unsigned SimKernel::information_bits() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::min<unsigned>(information_bits_, unsigned(sizeof(uintptr_t) * 8));
}

int SimKernel::error_from_status(NtStatus st) {
  switch (st) {
    case kStatusSuccess: return 0;
    case kStatusInvalidHandle: return UVAFD_EBADF;
    case kStatusObjectTypeMismatch: return UVAFD_ENOTSOCK;
    case kStatusNoMemory: return UVAFD_ENOMEM;
    case kStatusCancelled: return UVAFD_ECANCELED;
    default: return UVAFD_EIO;
  }
}

}  // namespace uvafd
