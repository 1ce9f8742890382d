// Virtual dispatch: single and multiple inheritance, virtual bases,
// pure virtuals, covariant returns, dynamic_cast (up/down/cross, failing),
// typeid, virtual destructors, member function pointers, templates/CRTP.
#include <cstdio>
#include <memory>
#include <typeinfo>
#include <vector>

struct Shape {
    virtual ~Shape() { dtors++; }
    virtual double area() const = 0;
    virtual const char *name() const { return "shape"; }
    virtual Shape *clone() const = 0;
    static int dtors;
};
int Shape::dtors = 0;
struct Rect : Shape {
    double w, h;
    Rect(double a, double b) : w(a), h(b) {}
    double area() const override { return w * h; }
    const char *name() const override { return "rect"; }
    Rect *clone() const override { return new Rect(*this); }
};
struct Square final : Rect {
    explicit Square(double s) : Rect(s, s) {}
    const char *name() const override { return "square"; }
    Square *clone() const override { return new Square(*this); }
};
struct Circle : Shape {
    double r;
    explicit Circle(double x) : r(x) {}
    double area() const override { return 3.0 * r * r; }
    Circle *clone() const override { return new Circle(*this); }
};
struct Printable { virtual ~Printable() {} virtual int tag() const { return 1; } };
struct Both : Circle, Printable { Both() : Circle(2) {} int tag() const override { return 99; } const char *name() const override { return "both"; } };

struct Base { int b = 1; virtual int f() { return b; } virtual ~Base() {} };
struct L : virtual Base { int l = 10; int f() override { return b + l; } };
struct R : virtual Base { int r = 100; };
struct D : L, R { int d = 1000; int f() override { return b + l + r + d; } };

template <class T> struct Counter { int calls = 0; int run() { calls++; return static_cast<T *>(this)->impl(); } };
struct Impl : Counter<Impl> { int impl() { return 5; } };

struct Calc { int k; int add(int x) { return x + k; } int mul(int x) { return x * k; } virtual int v(int x) { return x - k; } virtual ~Calc() {} };
struct Calc2 : Calc { int v(int x) override { return x * 100; } };

int main()
{
    std::vector<std::unique_ptr<Shape>> shapes;
    for (int i = 0; i < 12; i++) {
        switch (i % 4) {
        case 0: shapes.emplace_back(new Rect(i, 2)); break;
        case 1: shapes.emplace_back(new Square(i)); break;
        case 2: shapes.emplace_back(new Circle(i)); break;
        default: shapes.emplace_back(new Both()); break;
        }
    }
    double total = 0;
    for (auto &s : shapes) total += s->area();
    std::printf("total area %g\n", total);
    for (int i = 0; i < 4; i++) {
        Shape *s = shapes[i].get();
        std::unique_ptr<Shape> c(s->clone());
        Printable *p = dynamic_cast<Printable *>(s);
        std::printf("%-6s typeid %-10s clone %-6s rect? %d printable tag %d\n", s->name(), typeid(*s).name(), c->name(),
                    dynamic_cast<Rect *>(s) != nullptr, p ? p->tag() : -1);
    }
    Both b; Printable *pp = &b; Shape *back = dynamic_cast<Shape *>(pp);
    std::printf("cross-cast back to Shape: %s, same object %d\n", back ? back->name() : "null", (void *)back == (void *)static_cast<Shape *>(&b));
    D d; Base *bp = &d; L *lp = &d; R *rp = &d;
    std::printf("virtual base: f %d via L %d via R->b %d, downcast %d\n", bp->f(), lp->f(), rp->b, dynamic_cast<D *>(bp) == &d);
    Impl im; int s = 0; for (int i = 0; i < 10; i++) s += im.run();
    std::printf("crtp %d calls %d\n", s, im.calls);
    int (Calc::*ops[])(int) = {&Calc::add, &Calc::mul, &Calc::v};
    Calc2 c2; c2.k = 3; Calc &cr = c2;
    for (auto op : ops) std::printf("memfn %d\n", (cr.*op)(7));
    try { Circle &bad = dynamic_cast<Circle &>(*shapes[0]); (void)bad; }
    catch (const std::bad_cast &) { std::printf("bad_cast thrown\n"); }
    shapes.clear();
    std::printf("destructors ran %d\n", Shape::dtors);
    return 0;
}
