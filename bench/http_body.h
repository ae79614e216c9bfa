/* The one response of the HTTP benchmark: bench/http_server.c (native) sends it for every request
 * and bench/bench_http_curl.c (Windows) checks every body against it. */
#ifndef UVAFD_BENCH_HTTP_BODY_H_
#define UVAFD_BENCH_HTTP_BODY_H_

#define BENCH_HTTP_BODY "uvafd http benchmark: one small fixed body, the same for every GET\n"
#define BENCH_HTTP_BODY_LEN (sizeof BENCH_HTTP_BODY - 1)

#endif /* UVAFD_BENCH_HTTP_BODY_H_ */
