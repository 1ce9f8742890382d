/* Processes: fork/vfork + execve of this same program in other roles, a
 * pipeline through a pipe, a #! script whose interpreter is this
 * program, execve's environment, exec errors, wait4/waitid, process
 * groups and sessions, death by a signal.
 *
 * qemu-user cannot execve an AArch64 program without binfmt_misc, so the
 * reference is this source built for the host and run natively
 * (tests/guest/native_compare.cmake). Nothing printed depends on paths
 * or pids. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char self[4096];

static void status_line(const char *what, int st) {
    if (WIFEXITED(st))
        printf("%s: exit %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: signal %d\n", what, WTERMSIG(st));
    else
        printf("%s: status 0x%x\n", what, st);
}

/* The process's name (/proc/self/comm) and the last part of the path it
 * was run by (AT_EXECFN): exec names a process after the file the caller
 * named, a script's when it was one, not after its interpreter. A
 * program run by its own path prints whether both name it (its name
 * differs between builds). */
static void print_names(const char *who, bool is_exe) {
    char comm[32] = "";
    FILE *f = fopen("/proc/self/comm", "r");
    if (f) {
        if (!fgets(comm, sizeof comm, f)) comm[0] = 0;
        fclose(f);
    }
    comm[strcspn(comm, "\n")] = 0;
    const char *fn = (const char *)getauxval(AT_EXECFN);
    const char *slash = fn ? strrchr(fn, '/') : NULL;
    const char *base = slash ? slash + 1 : fn ? fn : "(none)";
    if (!is_exe) {
        printf("%s: comm=%s execfn=%s\n", who, comm, base);
        return;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    const char *e = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
    printf("%s: comm is the program's=%d execfn is the program's=%d\n", who,
           !strncmp(comm, e, 15) && strlen(comm) == (strlen(e) < 15 ? strlen(e) : 15),
           !strcmp(base, e));
}

/* Roles, chosen by argv[1] (or argv[2] after a #! line's argument). */
static int role(int argc, char **argv) {
    if (!strcmp(argv[1], "gen")) { /* numbers 1..N on stdout */
        int n = atoi(argv[2]);
        for (int i = 1; i <= n; i++)
            printf("%d\n", i * i);
        return 0;
    }
    if (!strcmp(argv[1], "sum")) { /* sums stdin; exit status: sum % 256 */
        long s = 0, v;
        while (scanf("%ld", &v) == 1)
            s += v;
        fprintf(stderr, "%s", ""); /* nothing, but stderr stays usable */
        printf("sum child: argv0=%s sum=%ld\n", argv[0], s);
        print_names("sum child", true);
        return (int)(s % 256);
    }
    if (!strcmp(argv[1], "interp-arg")) { /* as a #! interpreter */
        printf("script child: argc=%d", argc);
        for (int i = 1; i < argc; i++) {
            const char *a = argv[i];
            const char *slash = strrchr(a, '/');
            printf(" [%s]", i == 2 && slash ? slash + 1 : a);
        }
        printf("\n");
        print_names("script child", false);
        return 7;
    }
    if (!strcmp(argv[1], "env")) {
        int n = 0;
        while (environ[n])
            n++;
        printf("env child: n=%d FOO=%s BAR=%s\n", n, getenv("FOO") ? getenv("FOO") : "(null)",
               getenv("BAR") ? getenv("BAR") : "(null)");
        return 0;
    }
    if (!strcmp(argv[1], "pgrp")) {
        const char *r = setsid() == getpid() ? "ok" : strerror(errno);
        int sid = getsid(0) == getpid(), pg = getpgid(0) == getpid();
        printf("pgrp child: setsid=%s getsid==pid=%d getpgid==pid=%d\n", r, sid, pg);
        return 0;
    }
    if (!strcmp(argv[1], "die")) {
        fflush(stdout);
        raise(SIGTERM);
        return 1;
    }
    fprintf(stderr, "unknown role %s\n", argv[1]);
    return 2;
}

static int wait_one(pid_t pid, const char *what) {
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        printf("%s: waitpid %s\n", what, strerror(errno));
        return -1;
    }
    status_line(what, st);
    return st;
}

static void pipeline(void) {
    int p[2];
    if (pipe(p)) return;
    fflush(stdout);
    pid_t a = fork();
    if (a == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl(self, self, "gen", "12", (char *)NULL);
        _exit(127);
    }
    pid_t b = fork();
    if (b == 0) {
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        execl(self, "sumtool", "sum", (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    close(p[1]);
    /* the consumer's output is ordered before ours by waiting first */
    wait_one(b, "sum");
    wait_one(a, "gen");
}

static void script(void) {
    const char *path = "script.sh";
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "#!%s   interp-arg  \nthis line is not read\n", self);
    fclose(f);
    chmod(path, 0755);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        execl("./script.sh", "script.sh", "x", "two words", (char *)NULL);
        _exit(127);
    }
    wait_one(c, "script");
    /* a script without #! and garbage: ENOEXEC; not executable: EACCES */
    f = fopen("plain", "w");
    fprintf(f, "echo hi\n");
    fclose(f);
    char *av[] = {"plain", NULL};
    chmod("plain", 0644);
    execv("plain", av);
    printf("exec non-executable: %s\n", strerror(errno));
    chmod("plain", 0755);
    f = fopen("plain", "w");
    fprintf(f, "%c%c%c%cjunk", 0x7f, 'E', 'L', 'F');
    fclose(f);
    execv("plain", av);
    printf("exec bad ELF: %s\n", strerror(errno));
    execv("./does-not-exist", av);
    printf("exec missing: %s\n", strerror(errno));
    execv(".", av);
    printf("exec directory: %s\n", strerror(errno));
    char **volatile bad_argv = (char **)8;
    execve(self, bad_argv, NULL);
    printf("exec bad argv: %s\n", strerror(errno));
    char *bad_env[] = {"A=1", (char *)16, NULL};
    execve(self, av, bad_env);
    printf("exec bad envp string: %s\n", strerror(errno));
    unlink("plain");
    unlink(path);
}

static void env_and_vfork(void) {
    fflush(stdout);
    pid_t c = vfork();
    if (c == 0) {
        char *av[] = {self, "env", NULL};
        char *ev[] = {"FOO=bar baz", "OTHER=1", NULL};
        execve(self, av, ev);
        _exit(127);
    }
    wait_one(c, "env (vfork)");
}

static void groups(void) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        execl(self, self, "pgrp", (char *)NULL);
        _exit(127);
    }
    /* setpgid on the child from the parent: may race with its exec, both fine */
    wait_one(c, "pgrp");
    int r = setpgid(0, 0);
    printf("parent: setpgid(0,0)=%d getpgid==getpid=%d\n", r, getpgid(0) == getpid());
}

static void signal_death(void) {
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        execl(self, self, "die", (char *)NULL);
        _exit(127);
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, (id_t)c, &si, WEXITED);
    printf("waitid=%d code=%s status=%d pid-ok=%d\n", r,
           si.si_code == CLD_KILLED ? "CLD_KILLED" : "other", si.si_status, si.si_pid == c);
    /* plain fork without exec, and wait4 with rusage */
    fflush(stdout);
    c = fork();
    if (c == 0) _exit(42);
    int st;
    struct rusage ru;
    printf("wait4 ok=%d ", wait4(c, &st, 0, &ru) == c);
    status_line("fork child", st);
    printf("no more children: %s\n", wait(&st) < 0 ? strerror(errno) : "?");
}

int main(int argc, char **argv) {
    if (argc > 1) return role(argc, argv);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return 1;
    self[n] = 0;
    pipeline();
    script();
    env_and_vfork();
    groups();
    signal_death();
    return 0;
}
