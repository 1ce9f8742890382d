/* A copy from memory that may fault: guest code fetched for translation,
 * a DSM page whose guest mapping is PROT_NONE. The process's SIGSEGV and
 * SIGBUS handlers call safe_copy_on_fault first. */
#ifndef SHOAL_COMMON_SAFE_COPY_H
#define SHOAL_COMMON_SAFE_COPY_H

#include <stddef.h>

/* Copies n bytes from src to dst: 0, or -EFAULT if reading src faulted
 * (dst then holds part of it). */
int safe_copy(void *dst, const void *src, size_t n);

/* From a SIGSEGV/SIGBUS handler (uc: its ucontext): if this thread is in
 * safe_copy, restores the signal mask the fault interrupted and returns
 * to safe_copy's caller with -EFAULT; otherwise returns. */
void safe_copy_on_fault(void *uc);

#endif
