/* The verdict of one run of a libuv test, by the rule of tools/report/tap_rule.md
 * (tools/report/tap_judge.py is the same rule for the Linux lanes). Plain C: the bundle runner
 * uses it on Windows, tap_judge_test.c natively. */
#ifndef UVAFD_TAP_JUDGE_H
#define UVAFD_TAP_JUDGE_H

#include <stddef.h>

/* Writes pass, skip, timeout or fail(RC) into out: the log at LOG_PATH (an unreadable one is
 * empty) of a run of test NAME that exited with RC, or was stopped at its limit. */
void tap_judge_file(const char* log_path, const char* name, unsigned long rc, int timed_out,
                    char* out, size_t out_size);

#endif
