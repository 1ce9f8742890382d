/* SysV semaphores and message queues: semget/semop/semtimedop/semctl
 * (SETVAL/GETVAL, SETALL/GETALL, IPC_STAT with its arm64 layout,
 * IPC_SET, GETPID/GETNCNT, a wait another thread ends, IPC_NOWAIT, a
 * timeout, SEM_UNDO) and msgget/msgsnd/msgrcv/msgctl (types, IPC_NOWAIT,
 * MSG_NOERROR, E2BIG, IPC_STAT counters, a receive another thread
 * ends). Prints no ids, pids or times. */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static int semid, msqid;

static void *sem_poster(void *arg) {
    (void)arg;
    /* wait until the main thread sleeps on semaphore 1 */
    while (semctl(semid, 1, GETNCNT) < 1)
        usleep(1000);
    struct sembuf up = {1, 2, 0};
    semop(semid, &up, 1);
    return NULL;
}

struct msg {
    long type;
    char text[32];
};

static void *msg_sender(void *arg) {
    (void)arg;
    usleep(20000); /* most likely after the main thread sleeps in msgrcv; either way works */
    struct msg m = {7, "late"};
    msgsnd(msqid, &m, 5, 0);
    return NULL;
}

static void sems(void) {
    semid = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    printf("semget: ok %d\n", semid >= 0);
    struct semid_ds ds;
    union semun arg = {.buf = &ds};
    int r = semctl(semid, 0, IPC_STAT, arg);
    printf("IPC_STAT: %d nsems %lu mode %o uid ok %d otime 0: %d ctime set %d\n", r,
           (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0777, ds.sem_perm.uid == getuid(),
           ds.sem_otime == 0, ds.sem_ctime > 0);
    unsigned short vals[3] = {1, 0, 5}, got[3] = {9, 9, 9};
    arg.array = vals;
    printf("SETALL: %d\n", semctl(semid, 0, SETALL, arg));
    arg.array = got;
    r = semctl(semid, 0, GETALL, arg);
    printf("GETALL: %d %u %u %u\n", r, got[0], got[1], got[2]);
    arg.val = 3;
    r = semctl(semid, 2, SETVAL, arg);
    printf("SETVAL: %d GETVAL: %d\n", r, semctl(semid, 2, GETVAL));
    struct sembuf ops[2] = {{0, -1, 0}, {2, 2, 0}};
    printf("semop two ops: %d\n", semop(semid, ops, 2));
    int v0 = semctl(semid, 0, GETVAL), v1 = semctl(semid, 1, GETVAL), v2 = semctl(semid, 2, GETVAL);
    printf("values: %d %d %d GETPID ok %d\n", v0, v1, v2, semctl(semid, 0, GETPID) == getpid());
    struct sembuf take = {0, -1, IPC_NOWAIT};
    errno = 0;
    r = semop(semid, &take, 1);
    printf("IPC_NOWAIT on zero: %d EAGAIN %d\n", r, errno == EAGAIN);
    struct timespec ts = {0, 10000000};
    errno = 0;
    take.sem_flg = 0;
    r = semtimedop(semid, &take, 1, &ts);
    printf("semtimedop timeout: %d EAGAIN %d\n", r, errno == EAGAIN);
    pthread_t th;
    pthread_create(&th, NULL, sem_poster, NULL);
    struct sembuf wait2 = {1, -2, 0};
    r = semop(semid, &wait2, 1);
    pthread_join(th, NULL);
    printf("wait ended by another thread: %d value %d\n", r, semctl(semid, 1, GETVAL));
    CHECK(semctl(semid, 0, IPC_STAT, (union semun){.buf = &ds}) == 0);
    printf("otime set after semop: %d\n", ds.sem_otime > 0);
    ds.sem_perm.mode = 0640;
    printf("IPC_SET: %d\n", semctl(semid, 0, IPC_SET, (union semun){.buf = &ds}));
    CHECK(semctl(semid, 0, IPC_STAT, (union semun){.buf = &ds}) == 0);
    printf("mode now %o nsems %lu\n", ds.sem_perm.mode & 0777, (unsigned long)ds.sem_nsems);
    struct seminfo si;
    r = semctl(semid, 0, IPC_INFO, (union semun){.buf = (struct semid_ds *)&si});
    printf("IPC_INFO: ok %d semmsl>0 %d\n", r >= 0, si.semmsl > 0);
    errno = 0;
    r = semctl(semid, 5, GETVAL);
    printf("GETVAL out of range: %d EINVAL %d\n", r, errno == EINVAL);
    printf("IPC_RMID: %d\n", semctl(semid, 0, IPC_RMID));
    errno = 0;
    r = semop(semid, ops, 1);
    printf("semop after removal: %d EINVAL %d\n", r, errno == EINVAL || errno == EIDRM);
}

static void msgs(void) {
    msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    printf("msgget: ok %d\n", msqid >= 0);
    struct msg m1 = {1, "first"}, m2 = {2, "second"}, m3 = {1, "third"}, in;
    int s1 = msgsnd(msqid, &m1, 6, 0), s2 = msgsnd(msqid, &m2, 7, 0), s3 = msgsnd(msqid, &m3, 6, 0);
    printf("msgsnd: %d %d %d\n", s1, s2, s3);
    struct msqid_ds ds;
    CHECK(msgctl(msqid, IPC_STAT, &ds) == 0);
    printf("IPC_STAT: qnum %lu cbytes %lu qbytes>0 %d lspid ok %d mode %o\n",
           (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes, ds.msg_qbytes > 0,
           ds.msg_lspid == getpid(), ds.msg_perm.mode & 0777);
    ssize_t n = msgrcv(msqid, &in, sizeof in.text, 2, 0);
    printf("msgrcv type 2: %zd %ld %s\n", n, in.type, in.text);
    n = msgrcv(msqid, &in, sizeof in.text, 0, 0);
    printf("msgrcv any: %zd %ld %s\n", n, in.type, in.text);
    errno = 0;
    n = msgrcv(msqid, &in, 2, 0, 0);
    printf("msgrcv too small: %zd E2BIG %d\n", n, errno == E2BIG);
    memset(in.text, 0, sizeof in.text);
    n = msgrcv(msqid, &in, 2, 0, MSG_NOERROR);
    printf("msgrcv MSG_NOERROR: %zd %.2s\n", n, in.text);
    errno = 0;
    n = msgrcv(msqid, &in, sizeof in.text, 0, IPC_NOWAIT);
    printf("msgrcv empty IPC_NOWAIT: %zd ENOMSG %d\n", n, errno == ENOMSG);
    pthread_t th;
    pthread_create(&th, NULL, msg_sender, NULL);
    n = msgrcv(msqid, &in, sizeof in.text, 7, 0);
    pthread_join(th, NULL);
    printf("msgrcv woken by another thread: %zd %ld %s\n", n, in.type, in.text);
    CHECK(msgctl(msqid, IPC_STAT, &ds) == 0);
    /* not msg_lrpid: qemu 7.2 reports it wrongly */
    printf("IPC_STAT: qnum %lu rtime set %d\n", (unsigned long)ds.msg_qnum, ds.msg_rtime > 0);
    ds.msg_qbytes = 4096;
    printf("IPC_SET: %d\n", msgctl(msqid, IPC_SET, &ds));
    CHECK(msgctl(msqid, IPC_STAT, &ds) == 0);
    printf("qbytes now %lu\n", (unsigned long)ds.msg_qbytes);
    struct msginfo mi;
    int r = msgctl(msqid, IPC_INFO, (struct msqid_ds *)&mi);
    printf("IPC_INFO: ok %d msgmax>0 %d\n", r >= 0, mi.msgmax > 0);
    errno = 0;
    r = msgsnd(msqid, (void *)16, 4, 0);
    printf("msgsnd bad buffer: %d EFAULT %d\n", r, errno == EFAULT);
    printf("IPC_RMID: %d\n", msgctl(msqid, IPC_RMID, NULL));
}

int main(void) {
    sems();
    msgs();
    G_DONE();
}
