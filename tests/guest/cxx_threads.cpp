// C++ concurrency with static libstdc++: std::thread, mutex, lock_guard,
// unique_lock + condition_variable, std::atomic, std::future/async/promise,
// packaged_task, call_once, shared_mutex, thread_local.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <numeric>
#include <queue>
#include <shared_mutex>
#include <thread>
#include <vector>

static thread_local int tl_counter = 100;

int main()
{
    std::mutex m; long total = 0;
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; i++)
        ts.emplace_back([&, i] { for (int k = 0; k < 2000; k++) { std::lock_guard<std::mutex> g(m); total += i; } tl_counter += i; });
    for (auto &t : ts) t.join();
    std::printf("mutex total %ld main thread_local %d\n", total, tl_counter);

    std::queue<int> q; std::condition_variable cv; bool finished = false; long consumed = 0;
    std::thread cons([&] {
        std::unique_lock<std::mutex> lk(m);
        for (;;) {
            cv.wait(lk, [&] { return !q.empty() || finished; });
            while (!q.empty()) { consumed += q.front(); q.pop(); }
            if (finished) return;
        }
    });
    for (int i = 1; i <= 500; i++) { { std::lock_guard<std::mutex> g(m); q.push(i); } cv.notify_one(); }
    { std::lock_guard<std::mutex> g(m); finished = true; }
    cv.notify_all();
    cons.join();
    std::printf("condvar consumed %ld\n", consumed);

    std::atomic<long> at{0}; std::atomic<bool> flag{false};
    std::vector<std::thread> ws;
    for (int i = 0; i < 4; i++) ws.emplace_back([&] { for (int k = 0; k < 3000; k++) at.fetch_add(1, std::memory_order_relaxed); });
    for (auto &t : ws) t.join();
    bool expected = false;
    std::printf("atomic %ld cas %d lock_free %d\n", at.load(), flag.compare_exchange_strong(expected, true), (int)at.is_lock_free());

    std::vector<std::future<long>> fs;
    for (int i = 0; i < 4; i++)
        fs.push_back(std::async(std::launch::async, [i] { long s = 0; for (int k = 0; k <= 1000 * (i + 1); k++) s += k; return s; }));
    long fsum = 0; for (auto &f : fs) fsum += f.get();
    std::printf("async sum %ld\n", fsum);
    auto deferred = std::async(std::launch::deferred, [] { return 7; });
    std::printf("deferred %d\n", deferred.get());

    std::promise<std::string> pr; auto fut = pr.get_future();
    std::thread pt([&] { pr.set_value("from promise"); });
    std::printf("%s\n", fut.get().c_str());
    pt.join();
    std::promise<int> pe; auto fe = pe.get_future();
    std::thread et([&] { try { throw std::runtime_error("boom"); } catch (...) { pe.set_exception(std::current_exception()); } });
    try { fe.get(); } catch (const std::exception &e) { std::printf("future exception: %s\n", e.what()); }
    et.join();
    std::packaged_task<int(int, int)> task([](int a, int b) { return a * b; });
    auto tf = task.get_future();
    std::thread tt(std::move(task), 6, 7);
    std::printf("packaged_task %d\n", tf.get());
    tt.join();

    std::once_flag once; int once_count = 0;
    std::vector<std::thread> os;
    for (int i = 0; i < 4; i++) os.emplace_back([&] { std::call_once(once, [&] { once_count++; }); });
    for (auto &t : os) t.join();
    std::printf("call_once ran %d\n", once_count);

    std::shared_mutex sm; int shared_val = 0; std::atomic<int> reads{0};
    std::vector<std::thread> rs;
    for (int i = 0; i < 3; i++) rs.emplace_back([&, i] {
        for (int k = 0; k < 500; k++) {
            if (k % 10 == i) { std::unique_lock<std::shared_mutex> w(sm); shared_val++; }
            else { std::shared_lock<std::shared_mutex> r(sm); (void)shared_val; reads++; }
        }
    });
    for (auto &t : rs) t.join();
    std::printf("shared_mutex writes %d reads %d\n", shared_val, reads.load());
    std::printf("hardware_concurrency > 0: %d\n", std::thread::hardware_concurrency() > 0);
    return 0;
}
