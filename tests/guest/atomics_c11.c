/* C11 <stdatomic.h> with every memory order: fetch_add/sub/and/or/xor,
 * exchange, compare_exchange strong/weak, atomic_flag, fences, 8/16/32/64
 * bit and 128-bit (via __atomic on __int128) widths, across threads.
 * Built twice: armv8.0 with -mno-outline-atomics (LL/SC loops) and
 * -march=armv8.1-a (LSE: ldadd, cas, swp ...). */
#include "guest.h"
#include <pthread.h>
#include <stdatomic.h>
#include <inttypes.h>

#define NT    4
#define ITERS 3000
static atomic_long a64;
static atomic_int a32;
static _Atomic short a16;
static _Atomic unsigned char a8;
static atomic_ulong bits_or, bits_and = ~0ul, bits_xor;
static atomic_long cas_counter, xchg_sum, xchg_slot[NT];
static atomic_flag flag = ATOMIC_FLAG_INIT;
static long flag_protected;
static atomic_int ready;
static long message;

static void *worker(void *arg) {
    long id = (long)arg;
    for (int i = 0; i < ITERS; i++) {
        atomic_fetch_add_explicit(&a64, 3, memory_order_relaxed);
        atomic_fetch_sub_explicit(&a64, 1, memory_order_release);
        atomic_fetch_add_explicit(&a32, 1, memory_order_acquire);
        atomic_fetch_add_explicit(&a16, 1, memory_order_acq_rel);
        atomic_fetch_add_explicit(&a8, 1, memory_order_seq_cst);
        atomic_fetch_or_explicit(&bits_or, 1ul << ((id * 16 + i) % 64), memory_order_relaxed);
        atomic_fetch_and_explicit(&bits_and, ~(1ul << ((id * 8 + i * 3) % 64)),
                                  memory_order_acq_rel);
        atomic_fetch_xor_explicit(&bits_xor, (unsigned long)(i + 1) * 0x9e3779b97f4a7c15ul,
                                  memory_order_seq_cst);
        long old = atomic_load_explicit(&cas_counter, memory_order_relaxed);
        while (!atomic_compare_exchange_weak_explicit(&cas_counter, &old, old + 2,
                                                      memory_order_acq_rel, memory_order_relaxed)) {
        }
        long o2 = atomic_load(&cas_counter);
        while (!atomic_compare_exchange_strong(&cas_counter, &o2, o2 - 1)) {
        }
        atomic_fetch_add(&xchg_sum,
                         atomic_exchange_explicit(&xchg_slot[id], i + 1, memory_order_acq_rel));
        (void)atomic_load_explicit(&a32, memory_order_consume);
        while (atomic_flag_test_and_set_explicit(&flag, memory_order_acquire)) {
        }
        flag_protected++;
        atomic_flag_clear_explicit(&flag, memory_order_release);
    }
    return NULL;
}

static void *msg_reader(void *arg) {
    while (!atomic_load_explicit(&ready, memory_order_acquire)) {
    }
    return (void *)message;
}

int main(void) {
    pthread_t t[NT];
    for (long i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    printf("a64 %ld a32 %d a16 %d a8 %u\n", atomic_load(&a64), atomic_load(&a32), atomic_load(&a16),
           atomic_load(&a8));
    printf("or %016lx and %016lx xor %016lx\n", atomic_load(&bits_or), atomic_load(&bits_and),
           atomic_load(&bits_xor));
    printf("cas counter %ld flag-protected %ld xchg sum %ld\n", atomic_load(&cas_counter),
           flag_protected, atomic_load(&xchg_sum));

    pthread_t r;
    pthread_create(&r, NULL, msg_reader, NULL);
    message = 4242;
    atomic_store_explicit(&ready, 1, memory_order_release);
    void *got;
    pthread_join(r, &got);
    printf("release/acquire message %ld\n", (long)got);

    /* single-thread semantics of return values */
    atomic_int x = 5;
    int e = 5;
    printf("cas ok %d val %d\n", atomic_compare_exchange_strong(&x, &e, 9), atomic_load(&x));
    e = 5;
    printf("cas fail %d expected now %d\n", atomic_compare_exchange_strong(&x, &e, 1), e);
    printf("xchg old %d new %d\n", atomic_exchange(&x, -3), atomic_load(&x));
    printf("fetch_add old %d fetch_sub old %d fetch_and old %d fetch_or old %d fetch_xor old %d "
           "final %d\n",
           atomic_fetch_add(&x, 10), atomic_fetch_sub(&x, 2), atomic_fetch_and(&x, 6),
           atomic_fetch_or(&x, 0x30), atomic_fetch_xor(&x, 0xff), atomic_load(&x));
    atomic_thread_fence(memory_order_seq_cst);
    atomic_thread_fence(memory_order_acquire);
    atomic_thread_fence(memory_order_release);
    atomic_signal_fence(memory_order_seq_cst);
    _Atomic unsigned char b = 250;
    _Atomic unsigned short h = 65530;
    atomic_fetch_add(&b, 10);
    atomic_fetch_add(&h, 10);
    printf("wrap u8 %u u16 %u lock-free long %d\n", atomic_load(&b), atomic_load(&h),
           atomic_is_lock_free(&a64));
    /* 128-bit via __atomic builtins (libatomic or casp) */
    static __int128 wide;
    __int128 exp = 0, des = ((__int128)0x1122334455667788ll << 64) | 0x99aabbccddeeff00ull;
    int ok = __atomic_compare_exchange_n(&wide, &exp, des, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    __int128 ld = __atomic_load_n(&wide, __ATOMIC_ACQUIRE);
    printf("128-bit cas %d value %016" PRIx64 "%016" PRIx64 "\n", ok, (uint64_t)(ld >> 64),
           (uint64_t)ld);
    G_DONE();
}
