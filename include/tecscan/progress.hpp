// Progress of long work: a redrawn bar on a terminal, plain lines (every 10 %) otherwise, so
// Slurm logs stay readable. Thread-safe; quiet mode prints nothing.
#pragma once
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

namespace tecscan {

class Progress {
 public:
  // total = units of work; label names the stage ("train lstm").
  Progress(std::string label, long total, bool quiet = false);
  ~Progress();
  void advance(long n = 1);
  // Bytes moved so far (downloads): once any are counted, every line also shows the rate.
  void add_bytes(long long n);
  void finish();  // prints the final line once (also called by the destructor)
  double seconds() const;

 private:
  void draw(long done, bool final_line);
  std::string label_;
  long total_;
  bool quiet_, tty_;
  std::atomic<long> done_{0};
  std::atomic<long long> bytes_{0};
  int last_decile_ = -1;
  bool finished_ = false;
  std::mutex mu_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace tecscan
