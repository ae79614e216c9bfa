/* Links against an installed uvafd; prints the libuv version it implements. */
#include <stdio.h>
#include <uv.h>

static void on_timer(uv_timer_t* t) { uv_close((uv_handle_t*)t, NULL); }

int main(void) {
  uv_loop_t loop;
  uv_timer_t timer;
  if (uv_loop_init(&loop) != 0) return 1;
  uv_timer_init(&loop, &timer);
  uv_timer_start(&timer, on_timer, 1, 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  printf("consumer: libuv %s API, loop closed %d\n", uv_version_string(), uv_loop_close(&loop));
  return 0;
}
