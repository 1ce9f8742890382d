/* libFuzzer target: the ELF loader (syscall/elf_load.h) on arbitrary
 * bytes. elf_load_image() must return 0, -ENOEXEC or -ENOMEM and never
 * crash, whatever the headers say; on success the loaded range must lie
 * inside the guest space. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "syscall/elf_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct guest_space gs;
    if (gs_init(&gs, 1ull << 32)) abort();
    struct elf_info info;
    char err[128];
    int r = elf_load_image(&gs, data, size, &info, err, sizeof err);
    if (r != 0 && r != -ENOEXEC && r != -ENOMEM) abort();
    if (r == 0 && (info.start > info.end || info.end > gs.size)) abort();
    gs_fini(&gs);
    return 0;
}
