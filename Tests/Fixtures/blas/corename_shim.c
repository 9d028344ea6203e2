// Test double for BLASCoreCLITests, loaded into `sightline` with LD_PRELOAD. It makes
// OpenBLAS look as if it had picked its SSE3 "Prescott" kernels by itself (what Debian 12's
// OpenBLAS 0.3.21 does on an Intel Sapphire Rapids): openblas_get_corename() answers
// "Prescott" while OPENBLAS_CORETYPE is unset, and the real name once it is set. With
// SHIM_IGNORE_CORETYPE set it always answers "Prescott" (an OpenBLAS that ignores the variable).
//
// Each process appends one line to $SHIM_LOG (the OPENBLAS_CORETYPE it saw, "-" for none);
// a process that finds more than 20 lines exits with 99, so a restart loop ends instead of hanging.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int logged;

static void log_process(const char *core) {
    const char *path = getenv("SHIM_LOG");
    if (logged || !path) return;
    logged = 1;
    FILE *file = fopen(path, "a");
    if (!file) _exit(98);
    fprintf(file, "%s\n", core ? core : "-");
    if (fclose(file) != 0) _exit(98);
    file = fopen(path, "r");
    if (!file) _exit(98);
    int lines = 0, c;
    while ((c = fgetc(file)) != EOF) lines += c == '\n';
    fclose(file);
    if (lines > 20) _exit(99);
}

char *openblas_get_corename(void) {
    const char *core = getenv("OPENBLAS_CORETYPE");
    log_process(core);
    if (!core || getenv("SHIM_IGNORE_CORETYPE")) return "Prescott";
    char *(*real)(void) = (char *(*)(void))dlsym(RTLD_NEXT, "openblas_get_corename");
    return real ? real() : "unknown";
}
