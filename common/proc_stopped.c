#include "common/proc_stopped.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* pid's state letter and parent from /proc/PID/stat; false when it
 * cannot be read. */
static bool read_stat(pid_t pid, char *state, pid_t *ppid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* "pid (comm) S ppid ...": comm may hold spaces and parentheses, so
     * the state follows the last ')' */
    const char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || !p[2]) return false;
    *state = p[2];
    *ppid = (pid_t)strtol(p + 3, NULL, 10);
    return true;
}

char proc_state(pid_t pid) {
    char st;
    pid_t ppid;
    return read_stat(pid, &st, &ppid) ? st : 0;
}

bool proc_stopped(pid_t pid) {
    char st = proc_state(pid);
    return st == 'T' || st == 't';
}

static bool same_exe(pid_t pid) {
    char path[64];
    struct stat self, other;
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    return !stat("/proc/self/exe", &self) && !stat(path, &other) && self.st_dev == other.st_dev &&
           self.st_ino == other.st_ino;
}

bool proc_parent_is_same_exe(void) {
    return same_exe(getppid());
}

bool proc_sibling_stopped(void) {
    DIR *d = opendir("/proc");
    if (!d) return false;
    pid_t self = getpid(), parent = getppid();
    bool stopped = false;
    for (struct dirent *e; !stopped && (e = readdir(d));) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        char st;
        pid_t ppid;
        if (*end || pid <= 0 || pid == self || !read_stat((pid_t)pid, &st, &ppid)) continue;
        stopped = ppid == parent && (st == 'T' || st == 't') && same_exe((pid_t)pid);
    }
    closedir(d);
    return stopped;
}
