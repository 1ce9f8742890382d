/* Signal frames: the arm64 rt_sigframe built from a vCPU and restored
 * into it (sigframe.c), then delivery and rt_sigreturn through a task
 * (guest_signal.c): a handler's edits to the frame come back, the mask
 * and syscall restart follow Linux, the alternate stack is used, and a
 * garbage frame becomes a guest SIGSEGV, never a crash. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syscall/guest_signal.h"
#include "syscall/sigframe.h"
#include "syscall/syscall.h"
#include "tests/unit/harness.h"

static void fill_cpu(struct cpu *c, uint64_t seed) {
    memset(c, 0, sizeof *c);
    for (int i = 0; i < 32; i++)
        c->x[i] = seed * 0x9e3779b97f4a7c15ull + (uint64_t)i;
    c->x[31] &= ~15ull;
    c->pc = 0x400000 + (seed & 0xfff) * 4;
    c->nzcv = 0xa0000000u;
    c->fpsr = 0x08000011u;
    c->fpcr = 0x03c00000u;
    for (int i = 0; i < 32; i++) {
        c->v[i].d[0] = seed ^ (uint64_t)i;
        c->v[i].d[1] = ~seed + (uint64_t)i;
    }
}

static const struct aarch64_stack_t no_stack = {.ss_flags = GUEST_SS_DISABLE};

static void test_layout(void) {
    CU_ASSERT_EQUAL(sizeof(struct aarch64_rt_sigframe), 4688);
    CU_ASSERT_EQUAL(offsetof(struct aarch64_rt_sigframe, uc.uc_mcontext.regs), 128 + 176 + 8);
    CU_ASSERT_EQUAL(offsetof(struct aarch64_rt_sigframe, uc.uc_mcontext.reserved) % 16, 0);
    CU_ASSERT_EQUAL(offsetof(struct aarch64_rt_sigframe, uc.uc_sigmask), 128 + 40);
}

static void test_round_trip(void) {
    struct cpu a, b;
    fill_cpu(&a, 7);
    struct aarch64_siginfo si = {.si_signo = 10, .si_code = -6};
    struct aarch64_rt_sigframe f;
    sigframe_build(&f, &a, &si, 0x1234, &no_stack, 0x42);
    CU_ASSERT_EQUAL(f.info.si_signo, 10);
    CU_ASSERT_EQUAL(f.uc.uc_sigmask, 0x1234);
    CU_ASSERT_EQUAL(f.uc.uc_mcontext.fault_address, 0x42);
    CU_ASSERT_EQUAL(f.uc.uc_mcontext.pc, a.pc);
    CU_ASSERT_EQUAL(f.uc.uc_mcontext.sp, a.x[31]);
    CU_ASSERT_EQUAL(f.uc.uc_mcontext.pstate, 0xa0000000u);
    struct aarch64_fpsimd_context *fp = (void *)f.uc.uc_mcontext.reserved;
    CU_ASSERT_EQUAL(fp->head.magic, AARCH64_FPSIMD_MAGIC);
    CU_ASSERT_EQUAL(fp->head.size, 528);
    CU_ASSERT_EQUAL(fp->vregs[3][1], a.v[3].d[1]);
    fill_cpu(&b, 99);
    CU_ASSERT_TRUE(sigframe_restore(&f, &b));
    CU_ASSERT_EQUAL(memcmp(b.x, a.x, sizeof a.x), 0);
    CU_ASSERT_EQUAL(b.pc, a.pc);
    CU_ASSERT_EQUAL(b.nzcv, a.nzcv);
    CU_ASSERT_EQUAL(b.fpsr, a.fpsr);
    CU_ASSERT_EQUAL(b.fpcr, a.fpcr);
    CU_ASSERT_EQUAL(memcmp(b.v, a.v, sizeof a.v), 0);
}

static void test_edit_and_restore(void) {
    struct cpu a, b;
    fill_cpu(&a, 3);
    struct aarch64_rt_sigframe f;
    sigframe_build(&f, &a, NULL, 0, &no_stack, 0);
    f.uc.uc_mcontext.regs[5] = 0xdeadbeef;
    f.uc.uc_mcontext.pc += 4;
    f.uc.uc_mcontext.pstate = 0x40000000u | (1u << 12); /* Z, plus SSBS: allowed, dropped */
    struct aarch64_fpsimd_context *fp = (void *)f.uc.uc_mcontext.reserved;
    fp->vregs[7][0] = 0x1111;
    fp->fpcr = 0xffffffffu; /* only existing bits stick */
    /* an esr_context before the terminator is accepted and ignored */
    struct aarch64_ctx_head esr = {AARCH64_ESR_MAGIC, 16};
    memcpy(f.uc.uc_mcontext.reserved + 528, &esr, sizeof esr);
    fill_cpu(&b, 1);
    CU_ASSERT_TRUE(sigframe_restore(&f, &b));
    CU_ASSERT_EQUAL(b.x[5], 0xdeadbeef);
    CU_ASSERT_EQUAL(b.pc, a.pc + 4);
    CU_ASSERT_EQUAL(b.nzcv, 0x40000000u);
    CU_ASSERT_EQUAL(b.v[7].d[0], 0x1111);
    CU_ASSERT_EQUAL(b.fpcr, 0x07ff0000u);
}

/* Every malformed frame is refused and leaves the vCPU untouched. */
static void test_garbage_refused(void) {
    struct cpu a, b, before;
    fill_cpu(&a, 5);
    struct aarch64_rt_sigframe good, f;
    sigframe_build(&good, &a, NULL, 0, &no_stack, 0);
    uint8_t *res = good.uc.uc_mcontext.reserved;
    struct aarch64_ctx_head h;
    for (int k = 0; k < 9; k++) {
        f = good;
        res = f.uc.uc_mcontext.reserved;
        switch (k) {
        case 0:
            h = (struct aarch64_ctx_head){0x12345678, 528};
            memcpy(res, &h, 8);
            break;
        case 1:
            h = (struct aarch64_ctx_head){AARCH64_FPSIMD_MAGIC, 512};
            memcpy(res, &h, 8);
            break;
        case 2: memset(res, 0, 16); break;          /* no fpsimd record at all */
        case 3: memcpy(res + 528, res, 528); break; /* two fpsimd records */
        case 4:
            h = (struct aarch64_ctx_head){AARCH64_ESR_MAGIC, 4};
            memcpy(res + 528, &h, 8);
            break;
        case 5:
            h = (struct aarch64_ctx_head){AARCH64_ESR_MAGIC, 24};
            memcpy(res + 528, &h, 8);
            break;
        case 6:
            h = (struct aarch64_ctx_head){AARCH64_ESR_MAGIC, 0x7ffffff0};
            memcpy(res + 528, &h, 8);
            break;
        case 7:
            h = (struct aarch64_ctx_head){0, 16};
            memcpy(res + 528, &h, 8);
            break;
        case 8: f.uc.uc_mcontext.pstate = 0x5; break; /* EL1h: not a user mode */
        }
        fill_cpu(&b, 11);
        before = b;
        CU_ASSERT_FALSE(sigframe_restore(&f, &b));
        CU_ASSERT_EQUAL(memcmp(&b, &before, sizeof b), 0);
    }
    /* A frame of random bytes, many times. */
    uint64_t s = 88172645463325252ull;
    for (int n = 0; n < 2000; n++) {
        for (size_t i = 0; i < sizeof f; i += 8) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            memcpy((uint8_t *)&f + i, &s, sizeof f - i < 8 ? sizeof f - i : 8);
        }
        if (n & 1) memcpy(f.uc.uc_mcontext.reserved, good.uc.uc_mcontext.reserved, 8);
        fill_cpu(&b, 2);
        before = b;
        if (!sigframe_restore(&f, &b)) CU_ASSERT_EQUAL(memcmp(&b, &before, sizeof b), 0);
    }
}

/* ---- delivery and rt_sigreturn through a task ---- */

#define STACK_LO 0x100000ull
#define STACK_HI 0x140000ull
#define ALT      0x200000ull
#define HANDLER  0x500000ull
#define TRAMP    0x600004ull
static struct process proc;
static struct task *task;

static int setup(void) {
    if (harness_proc_init(&proc, &task)) return 1;
    proc.sigtramp = TRAMP;
    if (gs_map_fixed(&proc.mem, STACK_LO, STACK_HI - STACK_LO, PROT_READ | PROT_WRITE, GVMA_ANON))
        return 1;
    return gs_map_fixed(&proc.mem, ALT, 0x10000, PROT_READ | PROT_WRITE, GVMA_ANON) ? 1 : 0;
}

static int teardown(void) {
    harness_proc_fini(&proc, task);
    return 0;
}

static void set_action(int sig, uint64_t flags, uint64_t mask) {
    struct aarch64_sigaction act = {.handler = HANDLER, .flags = flags, .mask = mask};
    pthread_mutex_lock(&proc.sig_lock);
    proc.sigaction[sig] = act; /* guest state only: no host handler needed here */
    pthread_mutex_unlock(&proc.sig_lock);
}

static void reset_task(void) {
    struct cpu regs;
    fill_cpu(&regs, 21);
    struct cpu *c = &task->cpu; /* registers only: keep its dbt, memory, caches */
    memcpy(c->x, regs.x, sizeof c->x);
    memcpy(c->v, regs.v, sizeof c->v);
    c->pc = regs.pc;
    c->nzcv = regs.nzcv;
    c->fpsr = regs.fpsr;
    c->fpcr = regs.fpcr;
    task->cpu.x[31] = STACK_HI - 64;
    task->sigmask = 0;
    memset(&task->sig, 0, sizeof task->sig);
    task->altstack = no_stack;
}

static int64_t do_sigreturn(void) {
    task->cpu.x[8] = GUEST_NR_RT_SIGRETURN;
    syscall_dispatch(task);
    return (int64_t)task->cpu.x[0];
}

static void test_deliver_edit_return(void) {
    reset_task();
    struct cpu before = task->cpu;
    set_action(SIGUSR1, GUEST_SA_SIGINFO, 1ull << (SIGUSR2 - 1));
    signal_force(task, SIGUSR1, -6, 0, 0);
    signal_handle(task);
    struct cpu *c = &task->cpu;
    uint64_t frame = c->x[31];
    CU_ASSERT_EQUAL(c->pc, HANDLER);
    CU_ASSERT_EQUAL(c->x[0], SIGUSR1);
    CU_ASSERT_EQUAL(c->x[1], frame);
    CU_ASSERT_EQUAL(c->x[2], frame + 128);
    CU_ASSERT_EQUAL(c->x[30], TRAMP);
    CU_ASSERT_EQUAL(frame % 16, 0);
    CU_ASSERT_EQUAL(c->x[29], frame + sizeof(struct aarch64_rt_sigframe));
    CU_ASSERT_TRUE(c->x[29] + 16 <= before.x[31]);
    uint64_t rec[2];
    CU_ASSERT_EQUAL(gs_copy_in(&proc.mem, rec, c->x[29], 16), 0);
    CU_ASSERT_EQUAL(rec[0], before.x[29]);
    CU_ASSERT_EQUAL(rec[1], before.x[30]);
    /* the handler's mask: sa_mask | the signal */
    CU_ASSERT_EQUAL(task->sigmask, (1ull << (SIGUSR2 - 1)) | (1ull << (SIGUSR1 - 1)));
    struct aarch64_rt_sigframe *f = gs_host(&proc.mem, frame);
    CU_ASSERT_EQUAL(f->info.si_signo, SIGUSR1);
    CU_ASSERT_EQUAL(f->uc.uc_sigmask, 0);
    CU_ASSERT_EQUAL(f->uc.uc_mcontext.pc, before.pc);
    /* the "handler" edits x3 and the pc, then returns */
    f->uc.uc_mcontext.regs[3] = 0x3333;
    f->uc.uc_mcontext.pc = before.pc + 8;
    CU_ASSERT_EQUAL(do_sigreturn(), (int64_t)before.x[0]);
    CU_ASSERT_EQUAL(c->x[3], 0x3333);
    CU_ASSERT_EQUAL(c->pc, before.pc + 8);
    CU_ASSERT_EQUAL(c->x[31], before.x[31]);
    CU_ASSERT_EQUAL(c->x[30], before.x[30]);
    CU_ASSERT_EQUAL(task->sigmask, 0);
    CU_ASSERT_FALSE(task->sig.sync_valid);
}

static void test_restart_decision(void) {
    for (int sa_restart = 0; sa_restart < 2; sa_restart++) {
        reset_task();
        uint64_t after_svc = task->cpu.pc;
        set_action(SIGUSR1, sa_restart ? GUEST_SA_RESTART : 0, 0);
        task->cpu.x[0] = (uint64_t)-EINTR;
        task->sig.restart = -GUEST_ERESTARTSYS;
        task->sig.orig_x0 = 5;
        signal_force(task, SIGUSR1, -6, 0, 0);
        signal_handle(task);
        struct aarch64_rt_sigframe *f = gs_host(&proc.mem, task->cpu.x[31]);
        CU_ASSERT_EQUAL(f->uc.uc_mcontext.pc, sa_restart ? after_svc - 4 : after_svc);
        CU_ASSERT_EQUAL(f->uc.uc_mcontext.regs[0], sa_restart ? 5 : (uint64_t)-EINTR);
        CU_ASSERT_EQUAL(task->sig.restart, 0);
    }
    /* ERESTARTNOHAND is never restarted once a handler runs ... */
    reset_task();
    uint64_t after_svc = task->cpu.pc;
    set_action(SIGUSR1, GUEST_SA_RESTART, 0);
    task->cpu.x[0] = (uint64_t)-EINTR;
    task->sig.restart = -GUEST_ERESTARTNOHAND;
    signal_force(task, SIGUSR1, -6, 0, 0);
    signal_handle(task);
    struct aarch64_rt_sigframe *f = gs_host(&proc.mem, task->cpu.x[31]);
    CU_ASSERT_EQUAL(f->uc.uc_mcontext.pc, after_svc);
    /* ... but always restarted when no handler runs. */
    reset_task();
    after_svc = task->cpu.pc;
    task->sig.restart = -GUEST_ERESTARTNOHAND;
    task->sig.orig_x0 = 9;
    signal_handle(task);
    CU_ASSERT_EQUAL(task->cpu.pc, after_svc - 4);
    CU_ASSERT_EQUAL(task->cpu.x[0], 9);
}

static void test_altstack_and_nodefer(void) {
    reset_task();
    struct aarch64_stack_t ss = {.ss_sp = ALT, .ss_size = 0x10000};
    CU_ASSERT_EQUAL(signal_altstack_set(task, &ss, task->cpu.x[31]), 0);
    set_action(SIGUSR2, GUEST_SA_ONSTACK | GUEST_SA_NODEFER, 0);
    signal_force(task, SIGUSR2, -6, 0, 0);
    signal_handle(task);
    uint64_t frame = task->cpu.x[31];
    CU_ASSERT_TRUE(frame >= ALT && frame < ALT + 0x10000);
    CU_ASSERT_EQUAL(task->sigmask, 0); /* SA_NODEFER */
    CU_ASSERT_EQUAL(signal_altstack_flags(task, frame), GUEST_SS_ONSTACK);
    CU_ASSERT_EQUAL(signal_altstack_set(task, &ss, frame), -EPERM);
    struct aarch64_rt_sigframe *f = gs_host(&proc.mem, frame);
    CU_ASSERT_EQUAL(f->uc.uc_stack.ss_sp, ALT);
    CU_ASSERT_EQUAL(f->uc.uc_stack.ss_size, 0x10000);
    /* a nested one stays on the alternate stack, below the first */
    signal_force(task, SIGUSR2, -6, 0, 0);
    signal_handle(task);
    CU_ASSERT_TRUE(task->cpu.x[31] < frame && task->cpu.x[31] >= ALT);
    do_sigreturn();
    CU_ASSERT_EQUAL(task->cpu.x[31], frame);
    do_sigreturn();
    CU_ASSERT_EQUAL(task->cpu.x[31], STACK_HI - 64);
}

/* A garbage frame at sp: registers stay, a SIGSEGV is forced. */
static void test_bad_sigreturn(void) {
    static const uint64_t sps[] = {STACK_LO + 8, 0x300000, STACK_HI - 16, 0};
    for (int k = 0; k < 5; k++) {
        reset_task();
        if (k < 4) {
            task->cpu.x[31] = sps[k]; /* unaligned, unmapped, runs off the end, NULL */
        } else {
            task->cpu.x[31] = STACK_LO + 0x1000;
            memset(gs_host(&proc.mem, STACK_LO + 0x1000), 0xa5, sizeof(struct aarch64_rt_sigframe));
        }
        task->cpu.x[8] = GUEST_NR_RT_SIGRETURN;
        struct cpu before = task->cpu;
        do_sigreturn();
        CU_ASSERT_EQUAL(memcmp(task->cpu.x, before.x, sizeof before.x), 0);
        CU_ASSERT_EQUAL(task->cpu.pc, before.pc);
        CU_ASSERT_TRUE(task->sig.sync_valid);
        CU_ASSERT_EQUAL(task->sig.sync.si_signo, SIGSEGV);
        CU_ASSERT_EQUAL(task->sig.sync.u.addr, task->cpu.x[31]);
    }
}

/* No room for the frame: Linux forces a SIGSEGV, and with SIGSEGV's
 * handler failing the same way, the process dies of SIGSEGV. In a child. */
static void test_frame_write_fails(void) {
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        reset_task();
        task->cpu.x[31] = STACK_LO + 256; /* the frame would start below the mapping */
        set_action(SIGUSR1, 0, 0);
        set_action(SIGSEGV, 0, 0);
        signal_force(task, SIGUSR1, -6, 0, 0);
        signal_handle(task);
        _exit(0); /* not reached */
    }
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("sigframe", NULL, NULL);
    CU_add_test(s, "layout", test_layout);
    CU_add_test(s, "build/restore round trip", test_round_trip);
    CU_add_test(s, "edited frame restores the edits", test_edit_and_restore);
    CU_add_test(s, "malformed frames are refused", test_garbage_refused);
    CU_pSuite d = CU_add_suite("signal delivery", setup, teardown);
    CU_add_test(d, "deliver, edit, rt_sigreturn", test_deliver_edit_return);
    CU_add_test(d, "syscall restart decision", test_restart_decision);
    CU_add_test(d, "alternate stack, SA_NODEFER", test_altstack_and_nodefer);
    CU_add_test(d, "garbage frame on rt_sigreturn", test_bad_sigreturn);
    CU_add_test(d, "frame that does not fit", test_frame_write_fails);
}
