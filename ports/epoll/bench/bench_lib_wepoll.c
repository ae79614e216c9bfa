/* Names the library bench_epoll.c was linked against, in its result lines. */
const char bench_epoll_lib[] = "wepoll";
