// C++ exceptions: throw across frames (unwinding through DWARF CFI),
// catch by base class, rethrow, nested try, destructors during unwinding,
// std::exception_ptr / rethrow_exception, noexcept -> terminate not used,
// exceptions from constructors, std::nested_exception.
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>
#include <memory>

static int live_objects, destroyed;
struct Tracker {
    int id;
    explicit Tracker(int i) : id(i) { live_objects++; }
    ~Tracker() { live_objects--; destroyed++; }
};
struct MyError : std::runtime_error {
    int code;
    MyError(const std::string &m, int c) : std::runtime_error(m), code(c) {}
};
struct Derived2 : MyError { Derived2() : MyError("derived2", 2) {} };

static int depth_thrower(int n)
{
    Tracker t(n);
    if (n == 0) throw MyError("bottom", 42);
    return depth_thrower(n - 1) + 1;
}
struct Throwing {
    Tracker a{1};
    std::vector<int> v{1, 2, 3};
    Tracker b{2};
    explicit Throwing(bool t) { if (t) throw std::invalid_argument("ctor"); }
};
static void thrower_int() { throw 17; }
static void rethrower()
{
    try { thrower_int(); }
    catch (int &e) { e += 1; throw; }
}
static std::exception_ptr capture()
{
    try { throw Derived2(); }
    catch (...) { return std::current_exception(); }
}
static void nested()
{
    try { throw std::out_of_range("inner"); }
    catch (...) { std::throw_with_nested(std::runtime_error("outer")); }
}

int main()
{
    try { depth_thrower(20); }
    catch (const std::exception &e) {
        const MyError *m = dynamic_cast<const MyError *>(&e);
        std::printf("caught by base: %s code %d, live %d destroyed %d\n", e.what(), m ? m->code : -1, live_objects, destroyed);
    }
    try { Throwing t(true); }
    catch (const std::logic_error &e) { std::printf("ctor threw %s, live %d\n", e.what(), live_objects); }
    try { rethrower(); }
    catch (int e) { std::printf("rethrown int %d\n", e); }
    std::exception_ptr p = capture();
    try { std::rethrow_exception(p); }
    catch (const MyError &e) { std::printf("exception_ptr: %s %d\n", e.what(), e.code); }
    try { nested(); }
    catch (const std::exception &e) {
        std::printf("nested outer %s\n", e.what());
        try { std::rethrow_if_nested(e); }
        catch (const std::out_of_range &in) { std::printf("nested inner %s\n", in.what()); }
    }
    int caught = 0;
    for (int i = 0; i < 2000; i++) {
        try {
            if (i % 3 == 0) throw i;
            if (i % 3 == 1) throw std::string("s");
            throw 1.5;
        } catch (int) { caught += 1; } catch (const std::string &) { caught += 10; } catch (...) { caught += 100; }
    }
    std::printf("loop caught sum %d\n", caught);
    try { std::vector<int> v(3); (void)v.at(10); }
    catch (const std::out_of_range &) { std::printf("vector::at threw out_of_range\n"); }
    try { auto u = std::make_unique<Tracker>(5); throw std::bad_alloc(); }
    catch (const std::bad_alloc &e) { std::printf("bad_alloc: %s live %d\n", e.what(), live_objects); }
    std::printf("uncaught_exceptions %d\n", std::uncaught_exceptions());
    return 0;
}
