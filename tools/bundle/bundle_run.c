/* uvafd_bundle_run.exe: runs a Windows test bundle made by tools/windows-bundle.sh, on a real
 * Windows machine (or under Wine, where CTest checks it), and writes the report.
 *
 *   uvafd_bundle_run.exe [--only NAME[,NAME...]] [--out DIR]
 *
 * It reads manifest.txt beside itself, one entry a line, fields separated by tabs:
 *   test      NAME  TIMEOUT_S  DIR  EXE  [ARGS]      one of uvafd's own test programs
 *   upstream  NAME  LIMIT_MS                         one test of libuv's list, run under both
 *                                                    runners (real libuv, uvafd)
 *   runner    SIDE  PATH                             SIDE: launch, libuv, uvafd
 *   cwd       PATH                                   where libuv's runners run (its fixtures)
 * Paths are relative to the bundle's folder. Each program runs alone with its output in
 * DIR\logs\NAME[.SIDE].log; one that outlives its time limit is terminated (libuv's runners run
 * under uv_upstream_launch.exe, whose kill-on-close job takes the test's children with it).
 *
 * The report (DIR\report.md, DIR defaults to results\) has the tables tools/test.sh's trees
 * produce: uvafd's tests with their result, and libuv's tests as upstream-tests/run.sh writes
 * them (test | real libuv | uvafd | time), a uvafd retry included. The last line on stdout is
 * "uvafd-windows: N passed, M failed", where a libuv test counts as failed only when it passes
 * on real libuv and not on uvafd (the acceptance rule of docs/upstream-tests.md).
 * Exit code: 0 when nothing failed. */

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap_judge.h"

#define MAX_LINE 4096

static char g_root[MAX_PATH];   /* the bundle's folder, with a trailing backslash */
static char g_out[MAX_PATH];    /* the results folder, with a trailing backslash */
static char g_launch[MAX_PATH], g_libuv[MAX_PATH], g_uvafd[MAX_PATH], g_cwd[MAX_PATH];
static const char* g_only;

static int selected(const char* name) {
  const char* p;
  size_t n = strlen(name);
  if (g_only == NULL) return 1;
  for (p = g_only; (p = strstr(p, name)) != NULL; p += n) {
    int starts = p == g_only || p[-1] == ',';
    int ends = p[n] == '\0' || p[n] == ',';
    if (starts && ends) return 1;
  }
  return 0;
}

static void join(char* out, const char* dir, const char* rel) {
  snprintf(out, MAX_PATH, "%s%s", dir, rel);
}

/* Runs COMMAND in CWD with stdout and stderr into LOG; 0 and *exit_code, or -1 when it could
 * not start; *timed_out when it was terminated at its limit. *seconds: wall clock. */
static int run(const char* command, const char* cwd, const char* log, DWORD limit_ms,
               DWORD* exit_code, int* timed_out, double* seconds) {
  SECURITY_ATTRIBUTES sa;
  STARTUPINFOA si;
  PROCESS_INFORMATION pi;
  HANDLE out;
  char* cmd;
  LARGE_INTEGER f, t0, t1;
  DWORD waited;

  memset(&sa, 0, sizeof sa);
  sa.nLength = sizeof sa;
  sa.bInheritHandle = TRUE;
  out = CreateFileA(log, GENERIC_WRITE, FILE_SHARE_READ, &sa, CREATE_ALWAYS,
                    FILE_ATTRIBUTE_NORMAL, NULL);
  if (out == INVALID_HANDLE_VALUE) return -1;
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  si.hStdOutput = out;
  si.hStdError = out;
  cmd = _strdup(command); /* CreateProcessA may write into its command line */
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&t0);
  if (cmd == NULL ||
      !CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, NULL, cwd, &si, &pi)) {
    free(cmd);
    CloseHandle(out);
    return -1;
  }
  free(cmd);
  CloseHandle(out);
  waited = WaitForSingleObject(pi.hProcess, limit_ms);
  *timed_out = waited == WAIT_TIMEOUT;
  if (*timed_out) {
    TerminateProcess(pi.hProcess, 124);
    WaitForSingleObject(pi.hProcess, 10000);
  }
  QueryPerformanceCounter(&t1);
  GetExitCodeProcess(pi.hProcess, exit_code);
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
  *seconds = (double) (t1.QuadPart - t0.QuadPart) / (double) f.QuadPart;
  return 0;
}

/* One runner invocation of libuv's test NAME, judged as the Linux lanes judge it
 * (tools/report/tap_rule.md). */
static void run_upstream(const char* runner, const char* name, const char* side, DWORD limit_ms,
                         char* result, size_t result_size, double* seconds) {
  char command[MAX_LINE], log[MAX_PATH];
  DWORD rc = 0;
  int timed_out = 0;

  snprintf(command, sizeof command, "\"%s\" \"%s\" %s", g_launch, runner, name);
  snprintf(log, sizeof log, "%slogs\\%s.%s.log", g_out, name, side);
  /* The list's own limit, plus start-up of launcher, runner and child, plus margin. */
  if (run(command, g_cwd, log, limit_ms + 30000, &rc, &timed_out, seconds) != 0) {
    snprintf(result, result_size, "not started");
    return;
  }
  tap_judge_file(log, name, (unsigned long) rc, timed_out, result, result_size);
}

static char* field(char** cursor) {
  char* start = *cursor;
  char* tab;
  if (start == NULL) return NULL;
  tab = strchr(start, '\t');
  if (tab != NULL) {
    *tab = '\0';
    *cursor = tab + 1;
  } else {
    *cursor = NULL;
  }
  return start;
}

int main(int argc, char** argv) {
  char manifest[MAX_PATH], line[MAX_LINE], report[MAX_PATH], logs[MAX_PATH];
  FILE *m, *r, *ours, *theirs;
  char *slash, *cursor, *kind;
  int i, passed = 0, failed = 0;
  int lp = 0, lf = 0, ls = 0, up = 0, uf = 0, us = 0, regressions = 0;
  char ours_path[MAX_PATH], theirs_path[MAX_PATH];

  GetModuleFileNameA(NULL, g_root, sizeof g_root);
  slash = strrchr(g_root, '\\');
  if (slash != NULL) slash[1] = '\0';
  join(g_out, g_root, "results\\");
  for (i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      g_only = argv[++i];
    } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      snprintf(g_out, sizeof g_out, "%s\\", argv[++i]);
    } else {
      fprintf(stderr, "usage: %s [--only NAME[,NAME...]] [--out DIR]\n", argv[0]);
      return 2;
    }
  }
  CreateDirectoryA(g_out, NULL);
  join(logs, g_out, "logs");
  CreateDirectoryA(logs, NULL);

  join(manifest, g_root, "manifest.txt");
  m = fopen(manifest, "r");
  if (m == NULL) {
    fprintf(stderr, "bundle_run: no manifest.txt beside %s\n", argv[0]);
    return 2;
  }
  join(ours_path, g_out, "ours.tmp");
  join(theirs_path, g_out, "upstream.tmp");
  ours = fopen(ours_path, "w");
  theirs = fopen(theirs_path, "w");
  if (ours == NULL || theirs == NULL) return 2;

  while (fgets(line, sizeof line, m) != NULL) {
    line[strcspn(line, "\r\n")] = '\0';
    cursor = line;
    kind = field(&cursor);
    if (kind == NULL || kind[0] == '\0' || kind[0] == '#') continue;
    if (strcmp(kind, "runner") == 0) {
      char* side = field(&cursor);
      char* path = field(&cursor);
      if (side == NULL || path == NULL) continue;
      if (strcmp(side, "launch") == 0) join(g_launch, g_root, path);
      if (strcmp(side, "libuv") == 0) join(g_libuv, g_root, path);
      if (strcmp(side, "uvafd") == 0) join(g_uvafd, g_root, path);
    } else if (strcmp(kind, "cwd") == 0) {
      char* path = field(&cursor);
      if (path != NULL) join(g_cwd, g_root, path);
    } else if (strcmp(kind, "test") == 0) {
      char *name = field(&cursor), *limit = field(&cursor), *dir = field(&cursor);
      char *exe = field(&cursor), *args = cursor;
      char cwd[MAX_PATH], log[MAX_PATH], full[MAX_LINE];
      DWORD rc = 0;
      int timed_out = 0;
      double secs = 0;
      const char* result;
      if (name == NULL || limit == NULL || dir == NULL || exe == NULL) continue;
      if (!selected(name)) continue;
      join(cwd, g_root, dir);
      snprintf(log, sizeof log, "%slogs\\%s.log", g_out, name);
      /* "win/compat_test" names a tree and a test: one file per test in logs\. */
      for (slash = log + strlen(g_out) + 5; *slash != '\0'; ++slash)
        if (*slash == '/') *slash = '_';
      snprintf(full, sizeof full, "\"%s\\%s\" %s", cwd, exe, args ? args : "");
      if (run(full, cwd, log, (DWORD) atol(limit) * 1000, &rc, &timed_out, &secs) != 0)
        result = "not started";
      else
        result = timed_out ? "timeout" : rc == 0 ? "pass" : "fail";
      if (strcmp(result, "pass") == 0) ++passed; else ++failed;
      fprintf(ours, "| %s | %s | %.1f s |\n", name, result, secs);
      printf("%-40s %s (%.1f s)\n", name, result, secs);
      fflush(stdout);
    } else if (strcmp(kind, "upstream") == 0) {
      char *name = field(&cursor), *limit = field(&cursor);
      char lres[64], ures[64], first[64];
      double lt = 0, ut = 0;
      int regression;
      if (name == NULL || limit == NULL || !selected(name)) continue;
      run_upstream(g_libuv, name, "libuv", (DWORD) atol(limit), lres, sizeof lres, &lt);
      run_upstream(g_uvafd, name, "uvafd", (DWORD) atol(limit), ures, sizeof ures, &ut);
      if (strcmp(lres, "pass") == 0 && strcmp(ures, "pass") != 0) {
        /* One more try for uvafd where real libuv passed, as run.sh does. */
        snprintf(first, sizeof first, "%s", ures);
        run_upstream(g_uvafd, name, "uvafd.retry", (DWORD) atol(limit), ures, sizeof ures, &ut);
        if (strcmp(ures, "pass") == 0) snprintf(ures, sizeof ures, "pass (2nd try; 1st: %s)", first);
      }
      if (strcmp(lres, "pass") == 0) ++lp; else if (strcmp(lres, "skip") == 0) ++ls; else ++lf;
      if (strncmp(ures, "pass", 4) == 0) ++up; else if (strcmp(ures, "skip") == 0) ++us; else ++uf;
      regression = strcmp(lres, "pass") == 0 && strncmp(ures, "pass", 4) != 0;
      if (regression) { ++regressions; ++failed; } else { ++passed; }
      fprintf(theirs, "| %s | %s | %s%s | %.1f s / %.1f s |\n", name, lres, ures,
              regression ? " **REGRESSION**" : "", lt, ut);
      printf("%-40s libuv %s, uvafd %s\n", name, lres, ures);
      fflush(stdout);
    }
  }
  fclose(m);
  fclose(ours);
  fclose(theirs);

  join(report, g_out, "report.md");
  r = fopen(report, "w");
  if (r == NULL) return 2;
  fprintf(r, "# uvafd's tests on Windows (tools/windows-bundle.sh)\n\n");
  fprintf(r, "## uvafd's own tests\n\n| test | result | time |\n|---|---|---|\n");
  ours = fopen(ours_path, "r");
  while (ours != NULL && fgets(line, sizeof line, ours) != NULL) fputs(line, r);
  if (ours != NULL) fclose(ours);
  fprintf(r, "\n## libuv " UVAFD_LIBUV_VERSION "'s tests: real libuv and uvafd\n\n");
  fprintf(r, "| test | real libuv | uvafd | time |\n|---|---|---|---|\n");
  theirs = fopen(theirs_path, "r");
  while (theirs != NULL && fgets(line, sizeof line, theirs) != NULL) fputs(line, r);
  if (theirs != NULL) fclose(theirs);
  fprintf(r, "\nReal libuv: %d passed, %d failed, %d skipped.\n", lp, lf, ls);
  fprintf(r, "uvafd: %d passed, %d failed, %d skipped.\n", up, uf, us);
  fprintf(r, "Passed on real libuv, not on uvafd: %d\n", regressions);
  fclose(r);
  DeleteFileA(ours_path);
  DeleteFileA(theirs_path);
  printf("report: %s\n", report);
  printf("uvafd-windows: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
