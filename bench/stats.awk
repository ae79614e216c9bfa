# Summarises bench/run.sh's raw results. Input lines:
#   round=R req=N result lib=L scenario=S ... value=V ...
#   round=R req=N nt lib=uvafd scenario=S events=E submit=.. cancel=.. post=.. ...
# Output, one line per (key, field):
#   KEY SCENARIO N FIELD median min max count lo hi confidence
# KEY is a program (uvafd, uvafd_aa, libuv, floor) or a paired ratio over the rounds:
#   r_ul uvafd/libuv, r_uf uvafd/floor, r_fl floor/libuv, r_aa uvafd/uvafd_aa (the same
#   binary twice: what noise alone looks like); r_uw uvafd/wepoll (ports/epoll/bench/run.sh,
#   whose programs are uvafd, uvafd_aa and wepoll).
# lo..hi is a distribution-free interval for the median: order statistics k and count+1-k,
# with k the largest for which P(Binomial(count, 1/2) < k) <= 2.5%; its exact confidence is
# printed (0 when there are too few rounds for any such k, and lo..hi is then min..max).
{
  kind = ""
  for (i = 1; i <= NF; i++) if ($i == "result" || $i == "nt") { kind = $i; start = i + 1; break }
  if (kind == "") next
  split($1, rr, "="); round = rr[2]
  split($2, r, "="); req = r[2]
  for (i = start; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
  key = f["lib"] " " f["scenario"] " " req
  if (kind == "result") {
    add(key, "value", f["value"])
    one[f["lib"] "|" f["scenario"] " " req "|" round] = f["value"]
    rounds_of[f["scenario"] " " req "|" round] = 1
    if (f["scenario"] == "close") { add(key, "iters_max", f["iters_max"]); add(key, "iters_mean", f["iters_mean"]) }
  } else if (f["events"] > 0) {
    for (x in f) if (x ~ /^(submit|cancel|post|dequeue|other|total)$/) add(key, "nt_" x, f[x] / f["events"])
  }
  delete f
}
function add(k, field, v) { n_[k SUBSEP field]++; vals[k SUBSEP field, n_[k SUBSEP field]] = v + 0 }
function pair(name, a, b, sr, q) {
  if ((a "|" sr) in one && (b "|" sr) in one && one[b "|" sr] + 0 > 0)
    add(name " " q, "value", one[a "|" sr] / one[b "|" sr])
}
# P(Binomial(n, 1/2) <= j)
function binom_cdf(n, j,   i, c, s) {
  c = 1; s = 0
  for (i = 0; i <= j; i++) { s += c; c = c * (n - i) / (i + 1) }
  return s / 2 ^ n
}
END {
  # The programs of one round run back to back, so a slow change in the machine's load
  # cancels out of each ratio.
  for (sr in rounds_of) {
    split(sr, q, "|")
    pair("r_ul", "uvafd", "libuv", sr, q[1])
    pair("r_uf", "uvafd", "floor", sr, q[1])
    pair("r_fl", "floor", "libuv", sr, q[1])
    pair("r_aa", "uvafd", "uvafd_aa", sr, q[1])
    pair("r_uw", "uvafd", "wepoll", sr, q[1])
  }
  for (kf in n_) {
    c = n_[kf]
    for (i = 1; i <= c; i++) a[i] = vals[kf, i]
    for (i = 2; i <= c; i++) { t = a[i]; j = i - 1; while (j >= 1 && a[j] > t) { a[j + 1] = a[j]; j-- } a[j + 1] = t }
    med = c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
    k = 0
    while (k + 1 <= c / 2 && binom_cdf(c, k) <= 0.025) k++
    if (k >= 1) { lo = a[k]; hi = a[c + 1 - k]; conf = 1 - 2 * binom_cdf(c, k - 1) }
    else { lo = a[1]; hi = a[c]; conf = 0 }
    split(kf, p, SUBSEP)
    printf "%s %s %.6g %.6g %.6g %d %.6g %.6g %.3f\n", p[1], p[2], med, a[1], a[c], c, lo, hi, conf
  }
}
