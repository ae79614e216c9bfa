#include "helper_pool.h"

#include <algorithm>
#include <new>

#include "reserve.h"

namespace uvafd {

HelperPool::HelperPool(Kernel& kernel, KHandle port, uint32_t group_size)
    : kernel_(kernel), port_(port), group_size_(group_size ? group_size : 1) {}

Helper* HelperPool::acquire(NtStatus* status) {
  *status = kStatusSuccess;
  if (with_room_.empty()) {
    // Memory before the handle: once it is open, nothing may fail that would leak it.
    // with_room_ never holds more than every helper, so release() cannot grow it either.
    const size_t n = helpers_.size() + 1;
    std::unique_ptr<Helper> helper(new (std::nothrow) Helper);
    if (!helper || !reserve_at_least(helpers_, n) || !reserve_at_least(with_room_, n)) {
      *status = kStatusNoMemory;
      return nullptr;
    }
    *status = kernel_.open_afd_helper(port_, kKeyAfd, &helper->handle);
    if (nt_error(*status)) return nullptr;
    with_room_.push_back(helper.get());
    helpers_.push_back(std::move(helper));
  }
  Helper* h = with_room_.back();
  if (++h->users == group_size_) with_room_.pop_back();
  return h;
}

void HelperPool::release(Helper* h) {
  if (h->users-- == group_size_) with_room_.push_back(h);
}

void HelperPool::close_all() {
  for (auto& h : helpers_) kernel_.close_handle(h->handle);
  helpers_.clear();
  with_room_.clear();
}

}  // namespace uvafd
