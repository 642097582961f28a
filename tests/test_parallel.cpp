// parallel_for, the project's one thread pool: every index once, the calling thread working
// too, no new index after an error, the first error rethrown, the thread count returned.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tecscan/parallel.hpp"

using namespace tecscan;

TEST(Parallel, EveryIndexRunsOnceOnTheThreadsItReports) {
  for (int threads : {1, 2, 5})
    for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{200}}) {
      std::vector<std::atomic<int>> runs(n);
      const unsigned used = parallel_for(n, threads, [&](size_t i) { ++runs[i]; });
      EXPECT_EQ(used, parallel_thread_count(n, threads));
      EXPECT_EQ(used, std::max<size_t>(1, std::min<size_t>(threads, n))) << threads << " " << n;
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(runs[i], 1) << i;
    }
  EXPECT_EQ(parallel_thread_count(100, 16, 4), 4u);  // max_threads caps
  EXPECT_GE(parallel_thread_count(100, 0), 1u);      // 0: the hardware's threads
}

TEST(Parallel, TheCallingThreadWorksToo) {
  const std::thread::id caller = std::this_thread::get_id();
  std::mutex mu;
  std::set<std::thread::id> ids;
  parallel_for(1, 1, [&](size_t) { ids.insert(std::this_thread::get_id()); });
  EXPECT_EQ(ids, std::set<std::thread::id>{caller});  // one thread: no thread started at all
  ids.clear();
  parallel_for(64, 3, [&](size_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::lock_guard<std::mutex> lock(mu);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(ids.count(caller), 1u);
  EXPECT_LE(ids.size(), 3u);
}

TEST(Parallel, AnErrorStopsNewIndicesAndIsRethrown) {
  for (int threads : {1, 4}) {
    std::atomic<int> started{0};
    try {
      parallel_for(1000, threads, [&](size_t i) {
        ++started;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        if (i == 3) throw std::runtime_error("job 3 failed");
      });
      ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "job 3 failed");
    }
    // Indices 0..3, then at most one more per thread already between two jobs.
    EXPECT_LE(started, 4 + 2 * threads) << threads << " threads";
    if (threads == 1) {
      EXPECT_EQ(started, 4);
    }
  }
}
