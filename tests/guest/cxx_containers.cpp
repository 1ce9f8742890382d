// Standard library workloads: std::string building/searching, vector
// growth, map/unordered_map/set, sort/stable_sort/nth_element, algorithms,
// iostream-free formatting, std::function and lambdas.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

static uint64_t rng = 12345;
static uint64_t next() { rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27; return rng * 0x2545F4914F6CDD1DULL; }

int main()
{
    std::vector<std::string> words;
    for (int i = 0; i < 3000; i++) {
        std::string w;
        int len = 1 + next() % 8;
        for (int k = 0; k < len; k++) w += char('a' + next() % 6);
        words.push_back(w);
    }
    std::unordered_map<std::string, int> freq;
    for (auto &w : words) freq[w]++;
    std::map<std::string, int> ordered(freq.begin(), freq.end());
    std::vector<std::pair<int, std::string>> byfreq;
    for (auto &kv : ordered) byfreq.push_back({-kv.second, kv.first});
    std::sort(byfreq.begin(), byfreq.end());
    std::printf("distinct %zu, top:", ordered.size());
    for (int i = 0; i < 5; i++) std::printf(" %s=%d", byfreq[i].second.c_str(), -byfreq[i].first);
    std::printf("\nfirst %s last %s\n", ordered.begin()->first.c_str(), ordered.rbegin()->first.c_str());

    std::vector<int> v(5000);
    for (auto &x : v) x = int(next() % 100000) - 50000;
    std::vector<int> s1 = v, s2 = v;
    std::sort(s1.begin(), s1.end());
    std::stable_sort(s2.begin(), s2.end(), [](int a, int b) { return (a % 100) < (b % 100); });
    std::nth_element(v.begin(), v.begin() + 2500, v.end());
    long long acc = std::accumulate(s1.begin(), s1.end(), 0LL);
    std::printf("min %d max %d median %d sum %lld stable[0..2] %d %d %d\n", s1.front(), s1.back(), v[2500], acc, s2[0], s2[1], s2[2]);
    auto it = std::lower_bound(s1.begin(), s1.end(), 0);
    std::printf("first >= 0 at %td, count even %td, unique %td\n", it - s1.begin(),
                std::count_if(s1.begin(), s1.end(), [](int x) { return x % 2 == 0; }),
                std::unique(s1.begin(), s1.end()) - s1.begin());

    std::set<int> st; for (int i = 0; i < 2000; i++) st.insert(int(next() % 1000));
    std::printf("set size %zu, 500 present %d\n", st.size(), (int)st.count(500));
    std::string text;
    for (int i = 0; i < 200; i++) text += words[i] + (i % 10 == 9 ? "\n" : " ");
    std::printf("text len %zu, find(\"abc\") %zd, rfind('f') %zd, lines %td\n", text.size(),
                (ssize_t)(text.find("abc") == std::string::npos ? -1 : (ssize_t)text.find("abc")), (ssize_t)text.rfind('f'),
                std::count(text.begin(), text.end(), '\n'));
    std::string up = text.substr(0, 30);
    std::transform(up.begin(), up.end(), up.begin(), [](char c) { return c >= 'a' && c <= 'z' ? c - 32 : c; });
    for (auto &c : up) if (c == '\n') c = '|';
    std::printf("upper: %s\n", up.c_str());
    std::ostringstream os; os << "pi=" << 3.14159 << " n=" << 42 << " hex=" << std::hex << 255;
    std::printf("%s\n", os.str().c_str());
    std::istringstream is("10 20 30 x"); int a, b, c; is >> a >> b >> c;
    std::printf("parsed %d\n", a + b + c);
    std::function<long(int)> fib = [&](int n) -> long { return n < 2 ? n : fib(n - 1) + fib(n - 2); };
    std::printf("fib(20) via std::function %ld\n", fib(20));
    std::vector<std::vector<int>> grid(50, std::vector<int>(50));
    for (int i = 0; i < 50; i++) for (int j = 0; j < 50; j++) grid[i][j] = (i * j) % 7;
    long gs = 0; for (auto &row : grid) gs += std::accumulate(row.begin(), row.end(), 0L);
    std::printf("grid sum %ld, to_string %s, stoi %d\n", gs, std::to_string(-1234.5).c_str(), std::stoi("  77z"));
    return 0;
}
