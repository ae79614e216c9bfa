/* main() for libuv's own test runner (test/runner.c + test/runner-win.c, used unchanged from
 * the libuv source tree), linked once against real libuv and once against uvafd.
 *
 * libuv's test/run-tests.c is not used: its main also dispatches the child modes of the
 * pipe/IPC/spawn tests (ipc_helper, spawn_helper1..9, ...) and so references functions that
 * live in test files uvafd cannot link yet. This main does what run-tests.c does for 1, 2 and 3
 * arguments:
 *   runner.exe                  run every listed test, each in a child process;
 *   runner.exe NAME             run one test (and its helpers) in child processes;
 *   runner.exe NAME PART        the child itself: run one part of a test in this process;
 *   runner.exe --list           print the listed tests.
 * The list (TASKS) is the generated test-list.h, compiled in task_list.c.
 *
 * One addition: libuv's Windows runner leaves a test's child process running when it times
 * out (process_wait returns -2 and nothing terminates the main test process). A parent here
 * puts itself in a job object with KILL_ON_JOB_CLOSE before it starts any child, so every
 * child dies with the parent (also when the parent is killed from outside), and it terminates
 * whatever is left in the job before it returns. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uv.h"
#include "runner.h"

static HANDLE job_handle;

static void job_open(void) {
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;

  job_handle = CreateJobObjectW(NULL, NULL);
  if (job_handle == NULL) {
    fprintf(stderr, "# runner_main: CreateJobObject failed: %lu\n", GetLastError());
    return;
  }
  memset(&limits, 0, sizeof(limits));
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!SetInformationJobObject(job_handle, JobObjectExtendedLimitInformation, &limits,
                               sizeof(limits)) ||
      !AssignProcessToJobObject(job_handle, GetCurrentProcess())) {
    fprintf(stderr, "# runner_main: job object setup failed: %lu\n", GetLastError());
    CloseHandle(job_handle);
    job_handle = NULL;
  }
}

/* Terminates every process of the job except this one: the children a timed-out test left. */
static void job_reap_children(void) {
  /* On the heap: ProcessIdList[1] is a trailing array only at the end of its allocation (as a
   * struct member of a larger buffer, GCC may assume index 0 is the only valid one). */
  const DWORD capacity = 256;
  JOBOBJECT_BASIC_PROCESS_ID_LIST* ids;
  DWORD self;
  DWORD i;

  if (job_handle == NULL)
    return;
  ids = calloc(1, sizeof(*ids) + capacity * sizeof(ULONG_PTR));
  if (ids == NULL)
    return;
  if (QueryInformationJobObject(job_handle, JobObjectBasicProcessIdList, ids,
                                sizeof(*ids) + capacity * sizeof(ULONG_PTR), NULL)) {
    self = GetCurrentProcessId();
    for (i = 0; i < ids->NumberOfProcessIdsInList && i < capacity; i++) {
      DWORD pid = (DWORD) ids->ProcessIdList[i];
      HANDLE process;
      if (pid == self)
        continue;
      process = OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, pid);
      if (process == NULL)
        continue;
      fprintf(stdout, "# runner_main: terminating leftover child process %lu\n", pid);
      fflush(stdout);
      TerminateProcess(process, 1);
      WaitForSingleObject(process, 5000);
      CloseHandle(process);
    }
  }
  free(ids);
}

int main(int argc, char** argv) {
  int status;

  platform_init(argc, argv);
  argv = uv_setup_args(argc, argv);

  switch (argc) {
  case 1:
    job_open();
    status = run_tests(0);
    job_reap_children();
    return status;

  case 2:
    if (strcmp(argv[1], "--list") == 0) {
      print_tests(stdout);
      return 0;
    }
    job_open();
    status = run_test(argv[1], 0, 1);
    job_reap_children();
    return status;

  case 3:
    return run_test_part(argv[1], argv[2]);

  default:
    fprintf(stderr, "usage: %s [--list | TEST | TEST PART]\n", argv[0]);
    fflush(stderr);
    return EXIT_FAILURE;
  }
}
