/* argv/envp/auxv: argv contents (passed by the test), argv/envp layout
 * consistency, AT_PAGESZ, AT_RANDOM/AT_PHDR presence, getenv. */
#include "guest.h"
#include <sys/auxv.h>
#include <elf.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv, char **envp) {
    printf("argc %d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d] = \"%s\" (len %zu)\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc] is NULL: %d\n", argv[argc] == NULL);
    printf("envp follows argv: %d\n", envp == argv + argc + 1);
    printf("environ == envp: %d\n", environ == envp);
    int n = 0, wellformed = 1;
    for (char **e = envp; *e; e++, n++)
        if (!strchr(*e, '=')) wellformed = 0;
    printf("env entries well formed: %d, non-empty: %d\n", wellformed, n > 0);
    /* auxv follows envp's NULL */
    Elf64_auxv_t *av = (Elf64_auxv_t *)(envp + n + 1);
    unsigned long pagesz = 0, seen_phdr = 0, seen_random = 0, seen_entry = 0;
    for (; av->a_type != AT_NULL; av++) {
        if (av->a_type == AT_PAGESZ) pagesz = av->a_un.a_val;
        if (av->a_type == AT_PHDR) seen_phdr = 1;
        if (av->a_type == AT_RANDOM) seen_random = av->a_un.a_val != 0;
        if (av->a_type == AT_ENTRY) seen_entry = av->a_un.a_val != 0;
    }
    printf("auxv AT_PAGESZ %lu getauxval %lu sysconf %ld\n", pagesz, getauxval(AT_PAGESZ),
           sysconf(_SC_PAGESIZE));
    printf("auxv has AT_PHDR %lu AT_RANDOM %lu AT_ENTRY %lu\n", seen_phdr, seen_random, seen_entry);
    printf("AT_UID matches getuid %d AT_EGID matches %d\n", getauxval(AT_UID) == getuid(),
           getauxval(AT_EGID) == getegid());
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    printf("AT_EXECFN names this program: %d\n", execfn && strstr(execfn, "args_env_auxv") != NULL);
    printf("argv[0] names this program: %d\n", strstr(argv[0], "args_env_auxv") != NULL);
    printf("stack is 16-aligned: %d\n", ((unsigned long)__builtin_frame_address(0) & 15) == 0);
    printf("TMPDIR set %d LC_ALL %s\n", getenv("TMPDIR") != NULL,
           getenv("LC_ALL") ? getenv("LC_ALL") : "(unset)");
    setenv("SHOAL_GUEST_VAR", "v1", 1);
    printf("setenv/getenv %s\n", getenv("SHOAL_GUEST_VAR"));
    unsetenv("SHOAL_GUEST_VAR");
    printf("unsetenv %d\n", getenv("SHOAL_GUEST_VAR") == NULL);
    G_DONE();
}
