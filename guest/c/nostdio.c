/*
 * No stdio in the sandbox.
 *
 * lauxlib.c, lbaselib.c and ldblib.c mention stdio (for loadfile, the
 * default print, debug.debug and the default panic/warn handlers). None of
 * those paths exist in luabox: print goes to the host console, loadfile and
 * debug.debug are gone, the glue installs its own panic handler and no warn
 * handler. If wasi-libc's stdio were linked for them, it would bring WASI
 * imports (fd_write, path_open, ...) and a preopen constructor with it. These
 * definitions win over wasi-libc's at link time; reaching one is a bug, so
 * each traps.
 */
#include <stdio.h>

/*
 * wasi-libc's stdin/stdout/stderr objects point at its fd_read/fd_write
 * backends. vfprintf and strtod (needed for snprintf and tonumber) refer to
 * the stderr object by name, so it is defined here as well: all zeroes, so
 * any use would call a null function pointer and trap.
 */
_Alignas(16) unsigned char __stdin_FILE[128];
_Alignas(16) unsigned char __stdout_FILE[128];
_Alignas(16) unsigned char __stderr_FILE[128];
FILE *const stdin = (FILE *)__stdin_FILE;
FILE *const stdout = (FILE *)__stdout_FILE;
FILE *const stderr = (FILE *)__stderr_FILE;
FILE *const __stdin_used = (FILE *)__stdin_FILE;
FILE *const __stdout_used = (FILE *)__stdout_FILE;
FILE *const __stderr_used = (FILE *)__stderr_FILE;

#define UNREACHABLE __builtin_trap()

FILE *fopen(const char *restrict path, const char *restrict mode) { UNREACHABLE; }
FILE *freopen(const char *restrict path, const char *restrict mode, FILE *restrict f) { UNREACHABLE; }
int fclose(FILE *f) { UNREACHABLE; }
int feof(FILE *f) { UNREACHABLE; }
int ferror(FILE *f) { UNREACHABLE; }
int fflush(FILE *f) { UNREACHABLE; }
int fprintf(FILE *restrict f, const char *restrict format, ...) { UNREACHABLE; }
int fputc(int c, FILE *f) { UNREACHABLE; }
int fputs(const char *restrict s, FILE *restrict f) { UNREACHABLE; }
size_t fread(void *restrict p, size_t size, size_t n, FILE *restrict f) { UNREACHABLE; }
int getc(FILE *f) { UNREACHABLE; }
char *fgets(char *restrict s, int n, FILE *restrict f) { UNREACHABLE; }
