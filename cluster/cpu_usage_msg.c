/* struct cpu_usage as the CpuUsage message (cpu_usage_msg.h). */
#include "cluster/cpu_usage_msg.h"

/* 2^52 ns is 52 days of CPU time per node and field */
#define FIELD_MAX ((int64_t)1 << 52)

static int64_t field(uint64_t v) {
    return v > (uint64_t)FIELD_MAX ? FIELD_MAX : (int64_t)v;
}

static uint64_t wire(int64_t v) {
    return v > 0 ? (uint64_t)v : 0;
}

void cpu_usage_to_msg(const struct cpu_usage *u, Shoal__CpuUsage *m) {
    m->user_ns = wire(u->user_ns);
    m->sys_ns = wire(u->sys_ns);
    m->sched_ns = wire(u->sched_ns);
    m->maxrss_kb = wire(u->maxrss_kb);
    m->minflt = wire(u->minflt);
    m->majflt = wire(u->majflt);
    m->inblock = wire(u->inblock);
    m->oublock = wire(u->oublock);
    m->nvcsw = wire(u->nvcsw);
    m->nivcsw = wire(u->nivcsw);
}

void cpu_usage_from_msg(const Shoal__CpuUsage *m, struct cpu_usage *u) {
    *u = (struct cpu_usage){
        .user_ns = field(m->user_ns),
        .sys_ns = field(m->sys_ns),
        .sched_ns = field(m->sched_ns),
        .maxrss_kb = field(m->maxrss_kb),
        .minflt = field(m->minflt),
        .majflt = field(m->majflt),
        .inblock = field(m->inblock),
        .oublock = field(m->oublock),
        .nvcsw = field(m->nvcsw),
        .nivcsw = field(m->nivcsw),
    };
}

void thread_view_to_msg(const struct proc_thread_view *v, Shoal__CpuUsage *m) {
    m->viewed = true;
    m->state = (uint8_t)v->state;
    m->sig_pending = v->sig_pending;
    m->sig_blocked = v->sig_blocked;
    m->cpu = v->cpu;
}

bool thread_view_from_msg(const Shoal__CpuUsage *m, struct proc_thread_view *v) {
    if (!m->viewed) return false;
    *v = (struct proc_thread_view){
        /* a letter, or nothing: a peer cannot put a control byte in stat */
        .state = m->state > ' ' && m->state < 127 ? (char)m->state : 0,
        .sig_pending = m->sig_pending,
        .sig_blocked = m->sig_blocked,
        .cpu = m->cpu, /* checked against the guest's CPUs where it is shown */
    };
    return true;
}
