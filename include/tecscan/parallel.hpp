// The project's one parallel loop: job(i) for i in [0, n) on a few threads (the calling thread
// among them) pulling indices from an atomic counter. After the first error no new index is
// started and that error is rethrown once every thread has stopped. Jobs must not depend on
// which thread runs them.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace tecscan {

// The threads parallel_for uses for n jobs: `threads` (<= 0: every hardware thread), at most
// max_threads and at most n, at least 1.
inline unsigned parallel_thread_count(size_t n, int threads, unsigned max_threads = 64) {
  const unsigned wanted = threads > 0 ? static_cast<unsigned>(threads)
                                      : std::max(1u, std::thread::hardware_concurrency());
  const size_t jobs = std::max<size_t>(n, 1);
  return std::max(1u, static_cast<unsigned>(std::min<size_t>({wanted, max_threads, jobs})));
}

// Returns the number of threads that ran (parallel_thread_count, fewer only when the system
// refused to start a thread: the others, the calling thread at least, do the work).
template <typename Job>
unsigned parallel_for(size_t n, int threads, Job job, unsigned max_threads = 64) {
  const unsigned nthreads = parallel_thread_count(n, threads, max_threads);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&]() {
    try {
      for (size_t i; !failed.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < n;)
        job(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> helpers;
  helpers.reserve(nthreads - 1);
  for (unsigned t = 1; t < nthreads; ++t) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: run with those started
    }
  }
  work();
  for (std::thread& helper : helpers) helper.join();
  if (error) std::rethrow_exception(error);
  return static_cast<unsigned>(helpers.size()) + 1;
}

}  // namespace tecscan
