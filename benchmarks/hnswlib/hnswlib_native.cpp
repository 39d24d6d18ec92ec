// hnswlib (Debian libhnswlib-dev headers) compiled here with -O3 -march=native, so it gets the AVX-512 kernels the
// Debian python3-hnswlib binary (built for generic x86-64, SSE only) lacks. Same protocol and JSON fields as
// hnswlib_eval.py and `semcache eval-index`: unit vectors, inner-product space, parallel build, one query at a time
// on one thread, recall@k against exact dot-product neighbours.
//
// usage: hnswlib_native BASE.fvecs QUERY.fvecs M EF_CONSTRUCTION EF_LIST K THREADS [REPEAT=3]
// Each ef is timed REPEAT times over all queries and the fastest pass is reported, as eval-index does.
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

static std::vector<float> read_fvecs(const char* path, int& dims) {
    std::ifstream in(path, std::ios::binary);
    if (!in) { std::fprintf(stderr, "cannot open %s\n", path); std::exit(2); }
    std::vector<float> data;
    int d = 0;
    dims = -1;
    while (in.read(reinterpret_cast<char*>(&d), 4)) {
        if (dims < 0) dims = d;
        if (d != dims) { std::fprintf(stderr, "%s: inconsistent dimensions\n", path); std::exit(2); }
        size_t at = data.size();
        data.resize(at + d);
        in.read(reinterpret_cast<char*>(&data[at]), 4L * d);
        double norm = 0;
        for (int i = 0; i < d; i++) norm += double(data[at + i]) * data[at + i];
        float inv = float(1.0 / std::sqrt(norm));
        for (int i = 0; i < d; i++) data[at + i] *= inv;
    }
    return data;
}

int main(int argc, char** argv) {
    if (argc < 8) { std::fprintf(stderr, "usage: %s BASE QUERY M EFC EFS K THREADS\n", argv[0]); return 2; }
    int dims = 0, qdims = 0;
    auto base = read_fvecs(argv[1], dims);
    auto queries = read_fvecs(argv[2], qdims);
    const int m = std::atoi(argv[3]), efc = std::atoi(argv[4]), k = std::atoi(argv[6]), threads = std::atoi(argv[7]);
    const int repeat = argc > 8 ? std::atoi(argv[8]) : 3;
    std::vector<int> efs;
    { std::stringstream ss(argv[5]); std::string item; while (std::getline(ss, item, ',')) efs.push_back(std::stoi(item)); }
    const size_t n = base.size() / dims, nq = queries.size() / dims;

    // Exact neighbours (not timed), in parallel.
    std::vector<size_t> truth(nq * k);
    {
        std::vector<std::thread> pool;
        std::atomic<size_t> next{0};
        for (int t = 0; t < threads; t++) pool.emplace_back([&] {
            std::vector<std::pair<float, size_t>> sims(n);
            for (size_t q; (q = next++) < nq;) {
                for (size_t i = 0; i < n; i++) {
                    float s = 0;
                    for (int d = 0; d < dims; d++) s += queries[q * dims + d] * base[i * dims + d];
                    sims[i] = {-s, i};
                }
                std::partial_sort(sims.begin(), sims.begin() + k, sims.end());
                for (int j = 0; j < k; j++) truth[q * k + j] = sims[j].second;
            }
        });
        for (auto& th : pool) th.join();
    }

    hnswlib::InnerProductSpace space(dims);
    hnswlib::HierarchicalNSW<float> index(&space, n, m, efc, 100);
    auto t0 = std::chrono::steady_clock::now();
    {
        index.addPoint(&base[0], 0);
        std::vector<std::thread> pool;
        std::atomic<size_t> next{1};
        for (int t = 0; t < threads; t++) pool.emplace_back([&] {
            for (size_t i; (i = next++) < n;) index.addPoint(&base[i * dims], i);
        });
        for (auto& th : pool) th.join();
    }
    double build = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // Layout: level-0 records + per-node level int, lock, upper pointer + upper link lists actually allocated.
    double upper = 0;
    for (size_t i = 0; i < n; i++) upper += index.element_levels_[i] * index.size_links_per_element_;
    double bytes = double(index.size_data_per_element_) + sizeof(int) + sizeof(std::mutex) + sizeof(void*) + upper / n;

    for (int ef : efs) {
        index.setEf(ef);
        for (size_t q = 0; q < std::min<size_t>(nq, 200); q++) index.searchKnn(&queries[q * dims], k);
        size_t found = 0;
        double secs = 1e300;
        std::vector<std::vector<size_t>> got(nq);
        for (int pass = 0; pass < repeat; pass++) {
            auto t = std::chrono::steady_clock::now();
            for (size_t q = 0; q < nq; q++) {
                auto r = index.searchKnn(&queries[q * dims], k);
                got[q].clear();
                while (!r.empty()) { got[q].push_back(r.top().second); r.pop(); }
            }
            secs = std::min(secs, std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
        }
        for (size_t q = 0; q < nq; q++) {
            std::unordered_set<size_t> tr(truth.begin() + q * k, truth.begin() + (q + 1) * k);
            for (auto id : got[q]) found += tr.count(id);
        }
        std::printf("{\"engine\": \"hnswlib-native\", \"ef\": %d, \"k\": %d, \"recall_at_10\": %.4f, \"queries_per_second\": %.1f, "
                    "\"build_seconds\": %.2f, \"bytes_per_vector\": %.1f, \"level0_bytes_per_vector\": %zu, \"m\": %d, "
                    "\"ef_construction\": %d, \"count\": %zu, \"dimensions\": %d, \"build_threads\": %d}\n",
                    ef, k, double(found) / (nq * k), nq / secs, build, bytes, index.size_data_per_element_, m, efc, n, dims, threads);
        std::fflush(stdout);
    }
    return 0;
}
