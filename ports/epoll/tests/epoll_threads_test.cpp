// wepoll's thread promises on one port: epoll_ctl from any thread while others wait, several
// waiters each receiving distinct events, epoll_close returning a waiter.
#include <catch.hpp>

#include <errno.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "epoll_support.h"

using namespace ep;

TEST_CASE("epoll threads: epoll_ctl from another thread reaches a waiter blocked forever",
          "[epoll][threads]") {
  HANDLE port = epoll_create1(0);
  REQUIRE(port);
  SOCKET s = udp_socket();
  send_to_self(s);
  std::atomic<int> got{-2};
  std::atomic<uint64_t> tag{0};
  std::thread waiter([&] {
    epoll_event out[4];
    const int n = epoll_wait(port, out, 4, -1);
    if (n > 0) tag = out[0].data.u64;
    got = n;
  });
  Sleep(100);  // the waiter is in the kernel by now
  CHECK(got == -2);
  epoll_event e = ev(EPOLLIN, 77);
  REQUIRE(epoll_ctl(port, EPOLL_CTL_ADD, s, &e) == 0);
  waiter.join();
  CHECK(got == 1);
  CHECK(tag == 77);
  closesocket(s);
  CHECK(epoll_close(port) == 0);
}

TEST_CASE("epoll threads: several waiters each receive distinct events", "[epoll][threads]") {
  HANDLE port = epoll_create1(0);
  REQUIRE(port);
  constexpr int kSockets = 64, kThreads = 4;
  std::vector<SOCKET> socks;
  for (uint64_t i = 0; i < kSockets; ++i) {
    socks.push_back(udp_socket());
    epoll_event e = ev(EPOLLIN | EPOLLONESHOT, i);
    REQUIRE(epoll_ctl(port, EPOLL_CTL_ADD, socks.back(), &e) == 0);
  }
  std::mutex mu;
  std::vector<int> seen(kSockets, 0);
  std::vector<int> per_thread(kThreads, 0);
  std::atomic<int> total{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      while (total < kSockets) {
        epoll_event out[2];
        const int n = epoll_wait(port, out, 2, 50);
        for (int i = 0; i < n; ++i) {
          std::lock_guard<std::mutex> g(mu);
          ++seen[out[i].data.u64];
          ++per_thread[t];
          ++total;
        }
        if (n > 0) Sleep(2);  // as if handling it: the others get their turn
      }
    });
  for (SOCKET s : socks) send_to_self(s);  // from this thread, while they wait
  for (auto& th : threads) th.join();
  for (int i = 0; i < kSockets; ++i) CHECK(seen[i] == 1);  // each once, to one thread
  int busy = 0;
  for (int n : per_thread) busy += n > 0;
  CHECK(busy >= 2);
  // ctl from several threads at once while one waits.
  std::atomic<bool> stop{false};
  std::thread waiter([&] {
    epoll_event out[8];
    while (!stop) epoll_wait(port, out, 8, -1);
  });
  std::vector<std::thread> ctls;
  for (int t = 0; t < kThreads; ++t)
    ctls.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round)
        for (int i = t; i < kSockets; i += kThreads) {
          epoll_event e = ev(EPOLLIN | EPOLLONESHOT, uint64_t(i));
          CHECK(epoll_ctl(port, EPOLL_CTL_MOD, socks[i], &e) == 0);
        }
    });
  for (auto& th : ctls) th.join();
  stop = true;
  CHECK(epoll_close(port) == 0);  // also returns the waiter
  waiter.join();
  for (SOCKET s : socks) closesocket(s);
}

TEST_CASE("epoll threads: epoll_close returns a waiter", "[epoll][threads]") {
  HANDLE port = epoll_create1(0);
  REQUIRE(port);
  SOCKET s = udp_socket();
  epoll_event e = ev(EPOLLIN, 1);
  REQUIRE(epoll_ctl(port, EPOLL_CTL_ADD, s, &e) == 0);
  std::atomic<int> rc{-2}, err{0};
  std::thread waiters[2];
  for (auto& w : waiters)
    w = std::thread([&] {
      epoll_event out[1];
      const int n = epoll_wait(port, out, 1, -1);
      err = errno;
      rc = n;
    });
  Sleep(100);
  CHECK(rc == -2);
  CHECK(epoll_close(port) == 0);
  for (auto& w : waiters) w.join();
  CHECK(rc == -1);
  CHECK(err == EBADF);
  closesocket(s);
}

// EPOLLET with two waiters: the report goes to one of them, and the other, already waiting,
// is not handed the same readiness again (level-triggered would hand it to both).
TEST_CASE("epoll threads: EPOLLET reports one readiness to one waiter", "[epoll][threads]") {
  for (uint32_t mode : {uint32_t(EPOLLET), 0u}) {
    HANDLE port = epoll_create1(0);
    REQUIRE(port);
    SOCKET s = udp_socket();
    epoll_event e = ev(EPOLLIN | mode, 5);
    REQUIRE(epoll_ctl(port, EPOLL_CTL_ADD, s, &e) == 0);
    std::atomic<int> reports{0};
    std::thread waiters[2];
    for (auto& w : waiters)
      w = std::thread([&] {
        epoll_event out[1];
        if (epoll_wait(port, out, 1, 600) == 1) ++reports;
      });
    Sleep(100);
    send_to_self(s);
    for (auto& w : waiters) w.join();
    if (mode == EPOLLET)
      CHECK(reports == 1);
    else
      CHECK(reports == 2);  // the control: the test can tell the two apart
    closesocket(s);
    CHECK(epoll_close(port) == 0);
  }
}
