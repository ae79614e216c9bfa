/* tools/report/tap_rule.md, in C. */
#include "tap_judge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ANYWHERE, TO_THE_END, AT_THE_END };

/* Is there a line of the log where TAP stands (ANYWHERE), stands and ends the line
 * (TO_THE_END), or which ends in TAP (AT_THE_END)? A CR before a line's LF is not its text. */
static int log_has(const char* log, size_t size, const char* tap, int where) {
  const char *line = log, *end = log + size, *lf;
  size_t len, at, n = strlen(tap);
  for (; line < end; line = lf != NULL ? lf + 1 : end) {
    lf = memchr(line, '\n', (size_t) (end - line));
    len = (size_t) ((lf != NULL ? lf : end) - line);
    if (len > 0 && line[len - 1] == '\r') --len;
    if (where == AT_THE_END && len >= n && memcmp(line + len - n, tap, n) == 0) return 1;
    for (at = 0; where != AT_THE_END && at + n <= len; ++at)
      if (memcmp(line + at, tap, n) == 0 &&
          (at == 0 || (at >= 2 && line[at - 1] == ' ' && line[at - 2] != 't')) &&
          (where == ANYWHERE || at + n == len))
        return 1;
  }
  return 0;
}

void tap_judge_file(const char* log_path, const char* name, unsigned long rc, int timed_out,
                    char* out, size_t out_size) {
  char ok[512], skip[512], *log;
  const char* text;
  size_t size = 0;
  long length = -1;
  FILE* f = fopen(log_path, "rb");
  if (f != NULL && fseek(f, 0, SEEK_END) == 0) length = ftell(f);
  log = malloc(length > 0 ? (size_t) length : 1);
  if (log != NULL && length > 0 && fseek(f, 0, SEEK_SET) == 0)
    size = fread(log, 1, (size_t) length, f);
  if (f != NULL) fclose(f);
  snprintf(ok, sizeof ok, "ok 1 - %s", name);
  snprintf(skip, sizeof skip, "ok 1 - %s # SKIP", name);
  text = log != NULL ? log : ""; /* out of memory: judged as an empty log */
  if (timed_out || log_has(text, size, "# timeout", AT_THE_END))
    snprintf(out, out_size, "timeout");
  else if (rc == 0 && log_has(text, size, skip, ANYWHERE))
    snprintf(out, out_size, "skip");
  else if (rc == 0 && log_has(text, size, ok, TO_THE_END))
    snprintf(out, out_size, "pass");
  else if (rc == 7)
    snprintf(out, out_size, "skip");
  else
    snprintf(out, out_size, "fail(%lu)", rc);
  free(log);
}
