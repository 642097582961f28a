#include "tecscan/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace tecscan {

Progress::Progress(std::string label, long total, bool quiet)
    : label_(std::move(label)),
      total_(total > 0 ? total : 1),
      quiet_(quiet),
      tty_(isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
  finish();
}

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(long n) {
  long done = done_.fetch_add(n) + n;
  if (quiet_) return;
  std::lock_guard<std::mutex> lock(mu_);
  draw(done, false);
}

void Progress::add_bytes(long long n) {
  bytes_.fetch_add(n);
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (!quiet_) draw(done_.load(), true);
}

void Progress::draw(long done, bool final_line) {
  if (done > total_) done = total_;
  double frac = static_cast<double>(done) / static_cast<double>(total_);
  double secs = seconds();
  double eta = frac > 0 ? secs * (1 - frac) / frac : 0;
  const long long bytes = bytes_.load();
  char rate[32] = "";
  if (bytes > 0)
    std::snprintf(rate, sizeof rate, " %.2f MB/s",
                  secs > 0 ? static_cast<double>(bytes) / (1024.0 * 1024.0) / secs : 0.0);
  if (tty_) {
    constexpr int kWidth = 30;
    int fill = static_cast<int>(frac * kWidth);
    std::fprintf(stderr, "\r%-18s [%-*s] %5.1f%% %6.1fs eta %5.0fs%s", label_.c_str(), kWidth,
                 std::string(static_cast<size_t>(fill), '#').c_str(), 100 * frac, secs, eta, rate);
    if (final_line) std::fputc('\n', stderr);
  } else {
    int decile = static_cast<int>(frac * 10);
    if (decile == last_decile_ && !final_line) return;
    if (final_line && decile == last_decile_ && done == total_ && last_decile_ == 10) return;
    last_decile_ = decile;
    std::fprintf(stderr, "%s: %ld/%ld (%.0f%%) %.1fs%s\n", label_.c_str(), done, total_, 100 * frac,
                 secs, rate);
  }
  std::fflush(stderr);
}

}  // namespace tecscan
