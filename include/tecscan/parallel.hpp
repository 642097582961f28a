// The project's one parallel loop: job(i) for i in [0, n) on a few threads pulling indices from
// an atomic counter, the first error rethrown. Jobs must not depend on which thread runs them.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <future>
#include <thread>
#include <vector>

namespace tecscan {

// threads <= 0: every hardware thread (at most max_threads).
template <typename Job>
void parallel_for(size_t n, int threads, Job job, unsigned max_threads = 64) {
  unsigned nthreads = threads > 0 ? static_cast<unsigned>(threads)
                                  : std::max(1u, std::thread::hardware_concurrency());
  nthreads = std::max(1u, std::min<unsigned>({nthreads, max_threads,
                                              static_cast<unsigned>(std::max<size_t>(n, 1))}));
  std::atomic<size_t> next{0};
  std::vector<std::future<void>> workers;
  for (unsigned w = 0; w < nthreads; ++w)
    workers.push_back(std::async(std::launch::async, [&] {
      for (size_t i; (i = next.fetch_add(1)) < n;) job(i);
    }));
  for (auto& w : workers) w.get();
}

}  // namespace tecscan
