# The guest corpus: one guest_program() per (program, build variant).
# See docs/testing.md. Default levels: O0 O2.

# Integer
guest_program(int_arith SRC int_arith.c)
guest_program(int_bits SRC int_bits.c)
guest_program(int128 SRC int128.c)
guest_program(hash_workload SRC hash_workload.c)
guest_program(first_touch_threads SRC first_touch_threads.c LEVELS O2)
guest_program(borrowed_home_threads SRC borrowed_home_threads.c LEVELS O2)
guest_program(stream_walks_threads SRC stream_walks_threads.c LEVELS O2)
guest_program(discard_stream_threads SRC discard_stream_threads.c LEVELS O2)
guest_program(discard_read_threads SRC discard_read_threads.c LEVELS O2)
guest_program(discard_write_threads SRC discard_write_threads.c LEVELS O2)
guest_program(fork_writers_threads SRC fork_writers_threads.c LEVELS O2)
guest_program(remap_race_threads SRC remap_race_threads.c LEVELS O2)
guest_program(layout_publish_threads SRC layout_publish_threads.c LEVELS O2)
guest_program(remap_shared_threads SRC remap_shared_threads.c LEVELS O2)
guest_program(shared_objects_threads SRC shared_objects_threads.c LEVELS O2)
guest_program(control_flow SRC control_flow.c)
guest_program(code_write_threads SRC code_write_threads.c)
guest_program(code_rewrite SRC code_rewrite.c)

# Floating point
guest_program(fp_rounding SRC fp_rounding.c FLAGS -frounding-math)
guest_program(fp_special SRC fp_special.c)
guest_program(fp_convert SRC fp_convert.c)
guest_program(fp_cvt_round SRC fp_cvt_round.c)
guest_program(fp_half SRC fp_half.c FLAGS -frounding-math)
guest_program(fp_libm SRC fp_libm.c)
guest_program(fp_fenv SRC fp_fenv.c FLAGS -frounding-math)
guest_program(fp_fastmath SRC fp_fastmath.c FLAGS -ffast-math)
guest_program(fp_longdouble SRC fp_longdouble.c)

# Advanced SIMD
guest_program(neon_int SRC neon_int.c)
guest_program(neon_sat SRC neon_sat.c)
guest_program(neon_widen SRC neon_widen.c)
guest_program(neon_perm SRC neon_perm.c)
guest_program(neon_fp SRC neon_fp.c)
guest_program(neon_loops SRC neon_loops.c)
guest_program(neon_shift_imm SRC neon_shift_imm.c)
guest_program(neon_long_ops SRC neon_long_ops.c)
guest_program(neon_perm_all SRC neon_perm_all.c)
guest_program(neon_mul_lane SRC neon_mul_lane.c)
guest_program(neon_inplace SRC neon_inplace.c)
guest_program(simd_ld1_fault SRC simd_ld1_fault.c)
guest_program(simd_ldr_fault_regs SRC simd_ldr_fault_regs.c)
guest_program(vec_loops SRC vec_loops.c LEVELS O0 O2 O3)

# libc
guest_program(string_funcs SRC string_funcs.c LEVELS O0 O2 O3)
guest_program(qsort_bsearch SRC qsort_bsearch.c)
guest_program(printf_fmt SRC printf_fmt.c)
guest_program(scanf_parse SRC scanf_parse.c STDIN scanf_parse.stdin)
guest_program(setjmp_longjmp SRC setjmp_longjmp.c)
guest_program(malloc_sizes SRC malloc_sizes.c)

# C++
guest_program(cxx_exceptions SRC cxx_exceptions.cpp)
guest_program(cxx_threads SRC cxx_threads.cpp)
guest_program(cxx_containers SRC cxx_containers.cpp)
guest_program(cxx_virtual SRC cxx_virtual.cpp)

# Threads and atomics
guest_program(pthread_sync SRC pthread_sync.c)
guest_program(pthread_barrier_rwlock SRC pthread_barrier_rwlock.c)
guest_program(pthread_tls SRC pthread_tls.c)
# libgomp.a's OpenACC profiling hook links dlopen (never called): ld's warning silenced
guest_program(omp_threads SRC omp_threads.c FLAGS -fopenmp LIBS -Wl,--no-warnings)
guest_program(atomics_llsc SRC atomics_c11.c FLAGS -mno-outline-atomics LIBS -latomic)
guest_program(atomics_lse SRC atomics_c11.c FLAGS -march=armv8.1-a LIBS -latomic)
guest_program(atomics_outline SRC atomics_c11.c FLAGS -moutline-atomics LIBS -latomic LEVELS O2)
guest_program(llsc_asm SRC llsc_asm.c)
guest_program(spinlock SRC spinlock.c)
guest_program(threads_many SRC threads_many.c)
# Raw futex ops between threads (in a cluster: the master's futex table)
guest_program(futex_threads SRC futex_threads.c)
# Futex words lent to the node whose threads use them ([futex] local), recalled with waiters
guest_program(futex_loan_threads SRC futex_loan_threads.c)
# Priority-inheritance mutexes (FUTEX_LOCK_PI & co) between threads of different nodes
guest_program(pi_mutex_threads SRC pi_mutex_threads.c)
# ... whose owner exits holding one: the waiter gets it with OWNER_DIED (glibc aborts)
guest_program(pi_owner_exit_threads SRC pi_owner_exit_threads.c)
# The requeue-PI pair (FUTEX_WAIT_REQUEUE_PI, FUTEX_CMP_REQUEUE_PI) by raw calls: a
# condition variable over a PI lock, errors, timeouts, signals, an owner's exit
guest_program(requeue_pi_threads SRC requeue_pi_threads.c)
# PI futexes: deadlock detection through the chain of owners (EDEADLK for an ABBA
# pair and a ring of three, none for an open chain), owners that are no live thread (ESRCH)
guest_program(pi_deadlock_threads SRC pi_deadlock_threads.c)
guest_program(hint_groups SRC hint_groups.c FLAGS -I${CMAKE_SOURCE_DIR}/include)
# ... marked by a thread that is not the main one, and a group claimed before its threads
guest_program(hint_spawn_threads SRC hint_spawn_threads.c FLAGS -I${CMAKE_SOURCE_DIR}/include)
# False sharing with known final values (page splitting, issue 5)
guest_program(false_sharing_threads SRC false_sharing_threads.c)
guest_program(false_sharing_threads_lse SRC false_sharing_threads.c FLAGS -march=armv8.1-a LEVELS O2)
# Layout changes over falsely shared (split) pages: mprotect, mremap, madvise, munmap
guest_program(split_layout_threads SRC split_layout_threads.c)
guest_program(split_many_threads SRC split_many_threads.c LEVELS O2)
# The shadow area is address space the guest cannot touch; split data survives attempts
guest_program(split_reserve_threads SRC split_reserve_threads.c LEVELS O2)
# A split page whose pattern turns to true sharing (whole-page sweeps) is made whole again
guest_program(split_change_threads SRC split_change_threads.c)

# System interface
guest_program(file_io SRC file_io.c)
# File syscalls from a second thread (in a cluster: delegated, buffers shipped)
guest_program(remote_io SRC remote_io.c)
guest_program(pipe_io SRC pipe_io.c)
guest_program(mmap_large SRC mmap_large.c)
guest_program(getrandom SRC getrandom.c)
guest_program(args_env_auxv SRC args_env_auxv.c ARGS alpha "two words" "  spaced  " --flag=1 ünï)
guest_program(proc_self_exe SRC proc_self_exe.c ARGS last-arg)
guest_program(proc_files SRC proc_files.c)
guest_program(proc_threads SRC proc_threads.c LEVELS O2)
guest_program(close_all_threads SRC close_all_threads.c)
# Fds the program cannot see (a cluster node's own) cannot be used either
guest_program(own_fds_unseen SRC own_fds_unseen.c)
guest_program(clock_time SRC clock_time.c)
guest_program(clock_threads SRC clock_threads.c LEVELS O2)
guest_program(cpu_time_threads SRC cpu_time_threads.c LEVELS O2)
guest_program(affinity_threads SRC affinity_threads.c LEVELS O2)
guest_program(migrate_threads SRC migrate_threads.c LEVELS O2)
guest_program(signals SRC signals.c)

# Signal delivery (syscall/DESIGN.md: frames, masks, restart, threads)
guest_program(sig_ucontext SRC sig_ucontext.c)
guest_program(sig_restart SRC sig_restart.c)
# A signal never cuts short a call that would not sleep (a pipe write with room)
guest_program(sig_nosleep_threads SRC sig_nosleep_threads.c LEVELS O2)
guest_program(sig_remote_thread SRC sig_remote_thread.c)
guest_program(sig_altstack SRC sig_altstack.c)
guest_program(sig_flags SRC sig_flags.c)
guest_program(sig_sync SRC sig_sync.c)
guest_program(sig_threads SRC sig_threads.c)
guest_program(sig_rt SRC sig_rt.c)
guest_program(sig_segv_blocked SRC sig_segv_blocked.c)
# Between processes: from another process, a process group's SIGINT,
# stop/continue/terminate/core defaults seen through waitpid and SIGCHLD, tkill
guest_program(sig_actions SRC sig_actions.c)
# SIGBUS past the end of a mapped file (BUS_ADRERR, si_addr), death by SIGBUS
guest_program(sig_bus SRC sig_bus.c)
# ... seen by a thread on another node while the file grows and shrinks
guest_program(sig_bus_threads SRC sig_bus_threads.c)

# Exit statuses (the runner compares these too)
guest_program(exit_code3 SRC exit_code3.c)
guest_program(exit_thread42 SRC exit_thread42.c)
guest_program(abort_sig SRC abort_sig.c)
guest_program(segv_sig SRC segv_sig.c)
guest_program(segv_threads SRC segv_threads.c)

# Processes (execve of AArch64 programs: compared with a native build,
# native_compare.cmake)
include(${GUEST_SRC}/native_compare.cmake)
guest_native_program(proc_exec SRC proc_exec.c CLUSTER)
# fork by threads on different nodes (qemu-user cannot fork a threaded guest)
guest_native_program(fork_threads SRC fork_threads.c LEVELS O2 CLUSTER)
# vfork/posix_spawn: the parent waits for the child's exec or exit and
# sees its stores (syscall/vfork.h), also from a thread on node 1 (-n 2)
guest_native_program(vfork_spawn SRC vfork_spawn.c CLUSTER)
# robust mutexes whose owner dies (qemu-user has no robust lists)
guest_native_program(robust_mutex_thread SRC robust_mutex_thread.c CLUSTER)
# ... priority-inheritance ones (a waiter is handed the lock at the owner's death)
guest_native_program(robust_pi_mutex_thread SRC robust_pi_mutex_thread.c CLUSTER)
# /proc's signal lines (qemu-user lists its own handlers as the guest's)
guest_native_program(proc_signals_threads SRC proc_signals_threads.c CLUSTER)

# Sockets, event fds and memory calls
guest_program(net_sockets SRC net_sockets.c)
guest_program(poll_events SRC poll_events.c)
guest_program(mem_calls SRC mem_calls.c)
# stat/statx/statfs, rlimit, rusage, termios/winsize on a pty, inotify
guest_program(abi_layouts SRC abi_layouts.c)
guest_program(shared_map_threads SRC shared_map_threads.c)
guest_program(shared_map_ro_threads SRC shared_map_ro_threads.c LEVELS O2)

# POSIX timers, credentials, exec of signal state (the rest of issue 7)
guest_program(posix_timers SRC posix_timers.c)
guest_program(creds SRC creds.c)
# mount, chroot, syslog, unshare, setns, kcmp...: passed to the host as qemu does
guest_program(admin_calls SRC admin_calls.c)
# the guest's fd numbers: 3, 4, ... in a cluster too
guest_program(fd_numbers SRC fd_numbers.c)
guest_native_program(sig_exec SRC sig_exec.c CLUSTER)
# execve from a thread of another node, shared-mapping stores in the file, no children after it
guest_native_program(exec_threads SRC exec_threads.c CLUSTER)
guest_native_program(split_exec_threads SRC split_exec_threads.c LEVELS O2 CLUSTER)
guest_program(posix_timers_threads SRC posix_timers_threads.c)
guest_program(timer_thread_start SRC timer_thread_start.c)
# a timer's expiries while its signal waits fold into it (si_overrun), relayed to node 1 too
guest_program(timer_overrun_threads SRC timer_overrun_threads.c LEVELS O2)
# thousands of queued signals travel with a thread that moves from node to node
guest_program(move_signals_threads SRC move_signals_threads.c LEVELS O2)
# a waiting timer signal is dropped when its timer is deleted or re-armed, relayed ones too
guest_program(timer_disarm_threads SRC timer_disarm_threads.c LEVELS O2)
# SIGPIPE and SIGXFSZ of a call a thread of another node makes reach that thread
guest_program(sigpipe_threads SRC sigpipe_threads.c LEVELS O2)
# clock_nanosleep on the process's CPU clock, burnt on other nodes
guest_program(cpu_sleep_threads SRC cpu_sleep_threads.c LEVELS O2)
# a thread of another node reads its own signals and the process's from a signalfd
guest_program(signalfd_threads SRC signalfd_threads.c LEVELS O2)
# the process's pending signals (the master's) in a thread of another node's sigpending
guest_program(sigpending_threads SRC sigpending_threads.c LEVELS O2)
# a thread of another node polls, selects and epolls a signalfd for its own signals
guest_program(signalfd_poll_threads SRC signalfd_poll_threads.c LEVELS O2)
# RLIMIT_CPU over the CPU time of every thread (every node)
guest_program(rlimit_cpu_threads SRC rlimit_cpu_threads.c LEVELS O2)
guest_program(xattr_splice SRC xattr_splice.c)
# nice/sched_*/ioprio (per thread), sync_file_range, syncfs, readahead,
# preadv2/pwritev2 (qemu 7.2 has no preadv2/pwritev2: a native reference)
guest_native_program(sched_prio SRC sched_prio.c CLUSTER)
# ... inherited by new threads on other nodes (a cluster ships them with the thread)
guest_program(sched_prio_threads SRC sched_prio_threads.c)
guest_program(sched_tid_threads SRC sched_tid_threads.c LEVELS O2)
# sched_setattr/getattr, on a thread of another node by its tid
guest_program(sched_attr_threads SRC sched_attr_threads.c LEVELS O2)
guest_program(pidfd_membarrier SRC pidfd_membarrier.c)
guest_native_program(process_vm SRC process_vm.c CLUSTER)
guest_program(cpu_count SRC cpu_count.c)
guest_native_program(sysv_shm SRC sysv_shm.c CLUSTER)
guest_program(sysv_sem_msg SRC sysv_sem_msg.c)
guest_program(sysv_shm_threads SRC sysv_shm_threads.c)
guest_native_program(posix_mq SRC posix_mq.c CLUSTER)
# Process-wide calls whose buffers other arguments size, from a second thread (capabilities,
# groups, affinity masks, System V IPC, ppoll's and pselect6's masks, prctl), shipped as
# remote_calls_threads' are (native reference: qemu 7.2 refuses a read-only capability
# header, writes capget's data and msgrcv's buffer on failure, refuses a thread name that
# ends where memory does, and has no PR_GET_CHILD_SUBREAPER)
guest_native_program(remote_calls2_threads SRC remote_calls2_threads.c LEVELS O2 CLUSTER)
# Process-wide calls from a second thread (xattrs, timers, waits, queued signals, offsets,
# message queues...): delegated with their buffers shipped, only what each call wrote back
# (native reference: qemu 7.2 has no epoll_pwait2 or mq_notify and writes some outputs
# Linux leaves alone on failure)
guest_native_program(remote_calls_threads SRC remote_calls_threads.c LEVELS O2 CLUSTER)
# Timers on CPU clocks spent on other nodes (native reference: qemu 7.2 gives its own timer
# ids, not the kernel's, as the value of a timer created without a sigevent)
guest_native_program(cpu_timers_threads SRC cpu_timers_threads.c LEVELS O2 CLUSTER)
