/* tap_judge.c against the sample logs of tools/report/testdata/tap/cases.txt, which
 * test_tap_judge.py holds upstream_judge.py's verdict to as well (tools/report/tap_rule.md).
 *   tap_judge_test TESTDATA_TAP_DIR */
#include <stdio.h>
#include <string.h>

#include "tap_judge.h"

int main(int argc, char** argv) {
  char path[4096], line[1024], log[256], name[256], expected[64], got[64];
  unsigned long rc;
  int timed_out, checked = 0, failed = 0;
  FILE* cases;
  if (argc != 2) {
    fprintf(stderr, "usage: %s TESTDATA_TAP_DIR\n", argv[0]);
    return 2;
  }
  snprintf(path, sizeof path, "%s/cases.txt", argv[1]);
  cases = fopen(path, "r");
  if (cases == NULL) {
    fprintf(stderr, "tap_judge_test: cannot open %s\n", path);
    return 2;
  }
  while (fgets(line, sizeof line, cases) != NULL) {
    if (line[0] == '#' || line[0] == '\n') continue;
    if (sscanf(line, "%255s %255s %lu %d %63s", log, name, &rc, &timed_out, expected) != 5) {
      fprintf(stderr, "tap_judge_test: bad case: %s", line);
      return 2;
    }
    snprintf(path, sizeof path, "%s/%s", argv[1], log);
    tap_judge_file(path, name, rc, timed_out, got, sizeof got);
    ++checked;
    if (strcmp(got, expected) != 0) {
      ++failed;
      printf("FAIL %s %s rc=%lu timed_out=%d: %s, expected %s\n", log, name, rc, timed_out, got,
             expected);
    }
  }
  fclose(cases);
  printf("tap_judge_test: %d cases, %d failed\n", checked, failed);
  return failed == 0 && checked > 10 ? 0 : 1;
}
