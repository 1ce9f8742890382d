import hashlib
import threading

N = 6
res = [None] * N
lock = threading.Lock()
count = [0]


def work(i):
    h = hashlib.sha256()
    for j in range(3000):
        h.update(b'%d' % (i * j))
        if j % 100 == 0:
            with lock:
                count[0] += 1
    res[i] = h.hexdigest()[:16]


ts = [threading.Thread(target=work, args=(i,)) for i in range(N)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print('locked increments', count[0])
print('digests', ' '.join(res))

items = []
cv = threading.Condition()
done = threading.Event()


def produce():
    for i in range(400):
        with cv:
            items.append(i)
            cv.notify()
    done.set()
    with cv:
        cv.notify()


total = 0
p = threading.Thread(target=produce)
p.start()
while True:
    with cv:
        while not items and not done.is_set():
            cv.wait()
        got, items[:] = items[:], []
    total += sum(got)
    if done.is_set() and not items:
        with cv:
            total += sum(items)
            items[:] = []
        break
p.join()
print('consumed', total)

barrier = threading.Barrier(4)
order = []
olock = threading.Lock()


def phases(k):
    for ph in range(5):
        with olock:
            order.append(ph)
        barrier.wait()


ts = [threading.Thread(target=phases, args=(k,)) for k in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print('phases in order', order == sorted(order), len(order))

sem = threading.Semaphore(2)
inside = [0]
peak = [0]


def limited():
    for _ in range(50):
        with sem:
            with olock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            with olock:
                inside[0] -= 1


ts = [threading.Thread(target=limited) for _ in range(5)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print('semaphore peak at most 2', peak[0] <= 2)
print('threads left', threading.active_count())
