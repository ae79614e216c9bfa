#include "uvafd/reactor.h"

extern "C" void uvafd_options_init(uvafd_options* o) {
  if (!o) return;
  o->helper_group_size = 32;
  o->dequeue_batch = 256;
  o->teardown_timeout_ms = 30000;
}
