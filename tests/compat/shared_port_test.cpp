// libuv's own handles and uvafd's in one loop, under Wine: libuv's uv_tcp_t requests complete on
// the reactor's port beside the AFD polls of a uv_poll_t and the wakeups of a uv_async_t, and
// each reaches its own handle.
#include <catch.hpp>

#include <winsock2.h>

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "loop_fixture.h"
#include "uv.h"

using namespace compat_test;

namespace {

// libuv's TCP on loopback: server listening on a port the system picks, client and accepted
// handles initialised; returns the address to connect to.
sockaddr_in listen_loopback(uv_loop_t* loop, uv_tcp_t* server, uv_tcp_t* client,
                            uv_tcp_t* accepted, uv_connection_cb on_connection) {
  REQUIRE(uv_tcp_init(loop, server) == 0);
  REQUIRE(uv_tcp_init(loop, client) == 0);
  REQUIRE(uv_tcp_init(loop, accepted) == 0);
  sockaddr_in addr;
  REQUIRE(uv_ip4_addr("127.0.0.1", 0, &addr) == 0);
  REQUIRE(uv_tcp_bind(server, reinterpret_cast<const sockaddr*>(&addr), 0) == 0);
  int len = sizeof addr;
  REQUIRE(uv_tcp_getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  REQUIRE(uv_listen(reinterpret_cast<uv_stream_t*>(server), 1, on_connection) == 0);
  return addr;
}

struct EchoTest {
  uv_tcp_t server, client, accepted;
  uv_connect_t connect;
  uv_write_t client_write, echo_write;
  std::string received;  // what the client got back
  std::string served;    // what the server read
  char server_buf[256], client_buf[256];
  uv_buf_t echo_buf;
  int poll_readable = 0;
  int asyncs = 0;
  bool async_sent = false;
  SOCKET foreign_a = INVALID_SOCKET, foreign_b = INVALID_SOCKET;
  uv_poll_t poll;
  uv_async_t async;
  uv_thread_t thread;
  static constexpr const char* kMessage = "hello over libuv's own TCP";
};

EchoTest* g;

void alloc_server(uv_handle_t*, size_t, uv_buf_t* buf) {
  *buf = uv_buf_init(g->server_buf, sizeof g->server_buf);
}
void alloc_client(uv_handle_t*, size_t, uv_buf_t* buf) {
  *buf = uv_buf_init(g->client_buf, sizeof g->client_buf);
}

void maybe_finish() {
  // Everything seen: close all, so the loop ends on its own.
  if (g->received != EchoTest::kMessage || g->poll_readable == 0 || g->asyncs == 0) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&g->client), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&g->accepted), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&g->server), nullptr);
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&g->poll)))
    uv_close(reinterpret_cast<uv_handle_t*>(&g->poll), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&g->async), nullptr);
}

void on_server_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  if (n <= 0) return;
  g->served.append(buf->base, size_t(n));
  g->echo_buf = uv_buf_init(buf->base, unsigned(n));
  REQUIRE(uv_write(&g->echo_write, s, &g->echo_buf, 1, nullptr) == 0);
}

void on_client_read(uv_stream_t*, ssize_t n, const uv_buf_t* buf) {
  if (n <= 0) return;
  g->received.append(buf->base, size_t(n));
  maybe_finish();
}

}  // namespace

TEST_CASE("shared port: uv_tcp_t echo beside a uv_poll_t and a uv_async_t in one loop",
          "[compat][port]") {
  Loop l;
  EchoTest t;
  g = &t;

  // libuv's TCP: a server on an ephemeral port and a client that sends one message.
  const sockaddr_in addr = listen_loopback(&l.loop, &t.server, &t.client, &t.accepted,
                                           [](uv_stream_t* server, int status) {
    REQUIRE(status == 0);
    REQUIRE(uv_accept(server, reinterpret_cast<uv_stream_t*>(&g->accepted)) == 0);
    REQUIRE(uv_read_start(reinterpret_cast<uv_stream_t*>(&g->accepted), alloc_server,
                          on_server_read) == 0);
  });
  REQUIRE(uv_tcp_connect(&t.connect, &t.client, reinterpret_cast<const sockaddr*>(&addr),
                         [](uv_connect_t* req, int status) {
    REQUIRE(status == 0);
    static uv_buf_t msg = uv_buf_init(const_cast<char*>(EchoTest::kMessage),
                                      unsigned(std::strlen(EchoTest::kMessage)));
    REQUIRE(uv_write(&g->client_write, req->handle, &msg, 1, nullptr) == 0);
    REQUIRE(uv_read_start(req->handle, alloc_client, on_client_read) == 0);
  }) == 0);

  // A foreign socket pair watched by uv_poll_t: readable once the other side writes.
  tcp_pair(&t.foreign_a, &t.foreign_b);
  REQUIRE(uv_poll_init_socket(&l.loop, &t.poll, t.foreign_b) == 0);
  REQUIRE(uv_poll_start(&t.poll, UV_READABLE, [](uv_poll_t* h, int status, int events) {
    REQUIRE(status == 0);
    REQUIRE((events & UV_READABLE) != 0);
    ++g->poll_readable;
    uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
    maybe_finish();
  }) == 0);
  REQUIRE(send(t.foreign_a, "p", 1, 0) == 1);

  // A uv_async_t woken from another thread.
  REQUIRE(uv_async_init(&l.loop, &t.async, [](uv_async_t*) {
    ++g->asyncs;
    maybe_finish();
  }) == 0);
  REQUIRE(uv_thread_create(&t.thread, [](void* a) {
    uv_async_send(static_cast<uv_async_t*>(a));
  }, &t.async) == 0);

  CHECK(uv_run(&l.loop, UV_RUN_DEFAULT) == 0);
  uv_thread_join(&t.thread);
  CHECK(t.served == EchoTest::kMessage);
  CHECK(t.received == EchoTest::kMessage);
  CHECK(t.poll_readable == 1);
  CHECK(t.asyncs >= 1);
  closesocket(t.foreign_a);
  closesocket(t.foreign_b);
}

TEST_CASE("shared port: uv_queue_work completes through the internal wq_async", "[compat][port]") {
  Loop l;
  static uv_work_t work;
  static std::atomic<int> ran{0};
  static int after = 0, after_status = 1;
  ran = 0;
  REQUIRE(uv_queue_work(&l.loop, &work, [](uv_work_t*) { ran.fetch_add(1); },
                        [](uv_work_t*, int status) {
                          ++after;
                          after_status = status;
                        }) == 0);
  CHECK(uv_run(&l.loop, UV_RUN_DEFAULT) == 0);
  CHECK(ran == 1);
  CHECK(after == 1);
  CHECK(after_status == 0);
}

namespace {

struct OrderTest {
  uv_tcp_t server, client, accepted;
  uv_connect_t connect;
  uv_poll_t poll;
  SOCKET foreign_a = INVALID_SOCKET, foreign_b = INVALID_SOCKET;
  int connected = 0;
  char buf[64];
  std::vector<std::string> order;
};

OrderTest* o;

}  // namespace

TEST_CASE("shared port: callbacks run in dequeue order, libuv's requests and polls alike",
          "[compat][port]") {
  Loop l;
  OrderTest t;
  o = &t;
  const sockaddr_in addr = listen_loopback(&l.loop, &t.server, &t.client, &t.accepted,
                                           [](uv_stream_t* s, int) {
    REQUIRE(uv_accept(s, reinterpret_cast<uv_stream_t*>(&o->accepted)) == 0);
    ++o->connected;
  });
  REQUIRE(uv_tcp_connect(&t.connect, &t.client, reinterpret_cast<const sockaddr*>(&addr),
                         [](uv_connect_t*, int status) {
    REQUIRE(status == 0);
    ++o->connected;
  }) == 0);
  while (t.connected < 2) uv_run(&l.loop, UV_RUN_ONCE);

  // libuv's read request is queued now; the poll is armed by the next iteration.
  REQUIRE(uv_read_start(reinterpret_cast<uv_stream_t*>(&t.accepted),
                        [](uv_handle_t*, size_t, uv_buf_t* b) {
                          *b = uv_buf_init(o->buf, sizeof o->buf);
                        },
                        [](uv_stream_t* s, ssize_t n, const uv_buf_t*) {
                          if (n <= 0) return;
                          o->order.push_back("tcp read");
                          uv_read_stop(s);
                        }) == 0);
  tcp_pair(&t.foreign_a, &t.foreign_b);
  REQUIRE(uv_poll_init_socket(&l.loop, &t.poll, t.foreign_b) == 0);
  REQUIRE(uv_poll_start(&t.poll, UV_READABLE, [](uv_poll_t* h, int, int) {
    o->order.push_back("poll");
    uv_poll_stop(h);
  }) == 0);
  uv_run(&l.loop, UV_RUN_NOWAIT);  // arms the poll; nothing is ready yet
  REQUIRE(t.order.empty());

  // The read completes first, then the poll: both packets wait in the port for one dequeue.
  uv_buf_t msg = uv_buf_init(const_cast<char*>("r"), 1);
  REQUIRE(uv_try_write(reinterpret_cast<uv_stream_t*>(&t.client), &msg, 1) == 1);
  Sleep(50);
  REQUIRE(send(t.foreign_a, "p", 1, 0) == 1);
  Sleep(50);
  uv_run(&l.loop, UV_RUN_NOWAIT);
  const std::vector<std::string> expected = {"tcp read", "poll"};
  CHECK(t.order == expected);
  closesocket(t.foreign_a);
  closesocket(t.foreign_b);
}
