/* uv_upstream_launch.exe RUNNER [ARGS...]
 *
 * Starts libuv's test runner (RUNNER, a Windows path, with its arguments passed on verbatim)
 * inside a job object of its own, waits for it, terminates whatever the runner left in the job
 * and returns the runner's exit code.
 *
 * Why: libuv's Windows runner does not kill a test's child process that times out
 * (process_wait returns -2 and run_test only terminates the helpers), and when the runner
 * itself is killed from outside its children keep running; under Wine such orphans eat the CPU
 * and hold the fixed ports the next tests bind. libuv's run-tests.c stays unmodified, so the
 * protection lives here, around the runner:
 *  - the job has JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE and only this process holds its handle:
 *    when this launcher dies for any reason (`timeout` in run.sh kills it), the kernel (here
 *    wineserver) kills every process of the job;
 *  - the runner starts suspended and enters the job before it runs, so every process it starts
 *    (the test, its helpers, the processes a test spawns) is in the job from its first
 *    instruction;
 *  - after the runner exits, the processes still in the job are named on stdout as TAP
 *    comments and terminated, and the launcher waits (bounded) until the job is empty, so the
 *    next test starts with no leftover of this one.
 *
 * Output: the runner's own stdout and stderr (inherited), plus "# launch: ..." lines. Exit code:
 * the runner's, or 254 when the runner cannot be started. */

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define LAUNCH_FAILED 254
/* How long to wait for the job to empty after TerminateJobObject. */
#define DRAIN_LIMIT_MS 10000
#define MAX_LISTED_PROCESSES 256

/* The command line after the launcher's own name, as CreateProcess wants it. argv[0] follows
 * the rules Windows applies to it: quoted up to the next quote, otherwise up to a blank. */
static const wchar_t* rest_of_command_line(const wchar_t* line) {
  if (*line == L'"') {
    line++;
    while (*line != L'\0' && *line != L'"')
      line++;
    if (*line == L'"')
      line++;
  } else {
    while (*line != L'\0' && *line != L' ' && *line != L'\t')
      line++;
  }
  while (*line == L' ' || *line == L'\t')
    line++;
  return line;
}

static void say(const char* what, DWORD value) {
  printf("# launch: %s %lu\n", what, (unsigned long) value);
  fflush(stdout);
}

static DWORD active_processes(HANDLE job) {
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION info;

  memset(&info, 0, sizeof(info));
  if (!QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &info,
                                 sizeof(info), NULL))
    return 0;
  return info.ActiveProcesses;
}

/* Names the processes still in the job (the leftovers of a test) on stdout. */
static void list_leftovers(HANDLE job) {
  size_t size = sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) +
                MAX_LISTED_PROCESSES * sizeof(ULONG_PTR);
  JOBOBJECT_BASIC_PROCESS_ID_LIST* list = calloc(1, size);
  DWORD i;

  if (list == NULL)
    return;
  if (QueryInformationJobObject(job, JobObjectBasicProcessIdList, list, (DWORD) size, NULL)) {
    for (i = 0; i < list->NumberOfProcessIdsInList && i < MAX_LISTED_PROCESSES; i++)
      say("terminating leftover process, pid", (DWORD) list->ProcessIdList[i]);
  }
  free(list);
}

int main(void) {
  const wchar_t* runner_line = rest_of_command_line(GetCommandLineW());
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  wchar_t* line;
  HANDLE job;
  DWORD exit_code = LAUNCH_FAILED;
  DWORD waited;
  int i;

  if (*runner_line == L'\0') {
    fprintf(stderr, "usage: uv_upstream_launch.exe RUNNER [ARGS...]\n");
    return LAUNCH_FAILED;
  }

  job = CreateJobObjectW(NULL, NULL);
  if (job == NULL) {
    say("CreateJobObject failed, error", GetLastError());
    return LAUNCH_FAILED;
  }
  memset(&limits, 0, sizeof(limits));
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits,
                               sizeof(limits))) {
    say("SetInformationJobObject failed, error", GetLastError());
    return LAUNCH_FAILED;
  }

  /* CreateProcessW may write into its command line. */
  line = _wcsdup(runner_line);
  if (line == NULL)
    return LAUNCH_FAILED;

  /* The runner writes where the launcher writes. */
  for (i = 0; i < 3; i++) {
    static const DWORD which[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
    HANDLE h = GetStdHandle(which[i]);
    if (h != NULL && h != INVALID_HANDLE_VALUE)
      SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
  }
  memset(&si, 0, sizeof(si));
  si.cb = sizeof(si);
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
  si.hStdError = GetStdHandle(STD_ERROR_HANDLE);

  if (!CreateProcessW(NULL, line, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &si, &pi)) {
    say("CreateProcess failed, error", GetLastError());
    return LAUNCH_FAILED;
  }
  if (!AssignProcessToJobObject(job, pi.hProcess)) {
    say("AssignProcessToJobObject failed, error", GetLastError());
    TerminateProcess(pi.hProcess, LAUNCH_FAILED);
    return LAUNCH_FAILED;
  }
  ResumeThread(pi.hThread);
  CloseHandle(pi.hThread);

  WaitForSingleObject(pi.hProcess, INFINITE);
  if (!GetExitCodeProcess(pi.hProcess, &exit_code))
    exit_code = LAUNCH_FAILED;
  CloseHandle(pi.hProcess);

  if (active_processes(job) > 0) {
    list_leftovers(job);
    TerminateJobObject(job, 1);
    for (waited = 0; active_processes(job) > 0 && waited < DRAIN_LIMIT_MS; waited += 50)
      Sleep(50);
    if (active_processes(job) > 0)
      say("processes still in the job after TerminateJobObject:", active_processes(job));
  }
  CloseHandle(job);
  free(line);
  return (int) exit_code;
}
