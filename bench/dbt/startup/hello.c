/* The start-up benchmark's guest: a static hello world (issue 4: start-up
 * no slower than qemu-aarch64). All it measures is loading, the first
 * translations and exit. */
#include <stdio.h>

int main(void) {
    puts("hello, world");
    return 0;
}
