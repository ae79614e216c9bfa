/* tools/report/tap_rule.md, in C: tools/report/tap_judge.py is the same rule. */
#include "tap_judge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next line of [*cursor, end), a CR before its LF dropped; 0 at the end. */
static int next_line(const char** cursor, const char* end, const char** line, size_t* len) {
  const char* lf;
  if (*cursor >= end) return 0;
  *line = *cursor;
  lf = memchr(*line, '\n', (size_t) (end - *line));
  *len = (size_t) ((lf != NULL ? lf : end) - *line);
  *cursor = lf != NULL ? lf + 1 : end;
  if (*len > 0 && (*line)[*len - 1] == '\r') --*len;
  return 1;
}

/* Does TAP stand in a line of the log (at its start, or after Wine's text and a space) and,
 * with EXACT, end that line? */
static int log_has(const char* log, size_t size, const char* tap, int exact) {
  const char *cursor = log, *line;
  size_t len, at, n = strlen(tap);
  while (next_line(&cursor, log + size, &line, &len))
    for (at = 0; at + n <= len; ++at)
      if (memcmp(line + at, tap, n) == 0 &&
          (at == 0 || (at >= 2 && line[at - 1] == ' ' && line[at - 2] != 't')) &&
          (!exact || at + n == len))
        return 1;
  return 0;
}

static int log_has_line_ending(const char* log, size_t size, const char* tail) {
  const char *cursor = log, *line;
  size_t len, n = strlen(tail);
  while (next_line(&cursor, log + size, &line, &len))
    if (len >= n && memcmp(line + len - n, tail, n) == 0) return 1;
  return 0;
}

/* The whole file (an empty text when it cannot be read); *size its length. */
static char* read_all(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  char* text = malloc(1);
  size_t cap = 1, n = 0;
  *size = 0;
  while (f != NULL && text != NULL) {
    if (*size == cap) {
      char* grown = realloc(text, cap *= 2);
      if (grown == NULL) break;
      text = grown;
    }
    n = fread(text + *size, 1, cap - *size, f);
    if (n == 0) break;
    *size += n;
  }
  if (f != NULL) fclose(f);
  return text;
}

void tap_judge_file(const char* log_path, const char* name, unsigned long rc, int timed_out,
                    char* out, size_t out_size) {
  char ok[512], skip[512];
  size_t size;
  char* log = read_all(log_path, &size);
  const char* text = log != NULL ? log : "";
  snprintf(ok, sizeof ok, "ok 1 - %s", name);
  snprintf(skip, sizeof skip, "ok 1 - %s # SKIP", name);
  if (timed_out || log_has_line_ending(text, size, "# timeout"))
    snprintf(out, out_size, "timeout");
  else if (rc == 0 && log_has(text, size, skip, 0))
    snprintf(out, out_size, "skip");
  else if (rc == 0 && log_has(text, size, ok, 1))
    snprintf(out, out_size, "pass");
  else if (rc == 7)
    snprintf(out, out_size, "skip");
  else
    snprintf(out, out_size, "fail(%lu)", rc);
  free(log);
}
