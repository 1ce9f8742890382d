#include "common/proc_stopped.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool proc_stopped(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* "pid (comm) S ...": comm may hold spaces and parentheses, so the
     * state follows the last ')' */
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && (p[2] == 'T' || p[2] == 't');
}

bool proc_parent_is_same_exe(void) {
    char path[64];
    struct stat self, parent;
    snprintf(path, sizeof path, "/proc/%d/exe", (int)getppid());
    return !stat("/proc/self/exe", &self) && !stat(path, &parent) && self.st_dev == parent.st_dev &&
           self.st_ino == parent.st_ino;
}
