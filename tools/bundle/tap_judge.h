/* The verdict of one run of a libuv test, by the rule of tools/report/tap_rule.md (which
 * upstream_judge.py applies for the Linux lanes): plain C, for the bundle runner on Windows and
 * tests/tools/tap_judge_test.c natively. */
#ifndef UVAFD_TAP_JUDGE_H
#define UVAFD_TAP_JUDGE_H

#include <stddef.h>

/* Writes pass, skip, timeout or fail(RC) into out: the log at LOG_PATH (an unreadable one is
 * empty) of a run of test NAME that exited with RC, or was stopped at its limit. */
void tap_judge_file(const char* log_path, const char* name, unsigned long rc, int timed_out,
                    char* out, size_t out_size);

#endif
