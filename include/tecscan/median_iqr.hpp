// The classical bound method, the seventh detector: each epoch is compared with the observed
// values at the same UTC time of day on the previous `days` days. With m their median and IQR
// their interquartile range, the epoch is anomalous outside m +- 1.5 IQR, i.e. when
// |(x - m) / IQR| > 1.5: its "dtec" is (x - m) / IQR, so the networks' threshold path applies.
#pragma once
#include <cstddef>
#include <vector>

#include "tecscan/time.hpp"

namespace tecscan {

struct MedianIqrConfig {
  int days = 15;         // previous days looked at
  int min_history = 10;  // fewer finite values than this -> no bound (NaN)
};

struct MedianIqrOutput {
  size_t nnode = 0, ntime = 0;
  std::vector<float> median;  // [node][time] m, the detector's "predicted" TECU; NaN: no bound
  std::vector<float> iqr;     // [node][time] TECU
  std::vector<float> delta;   // [node][time] x - m
  std::vector<float> dtec;    // [node][time] (x - m) / IQR; NaN when x or m is, or IQR == 0
};

// observed: [node][time]; time: [ntime] ascending (any cadence: the history of epoch t is
// looked up at exactly time[t] - d days, d = 1..days; absent epochs count as missing).
// Quantiles per stats.hpp (type 7).
MedianIqrOutput median_iqr_detect(const float* observed, size_t nnode, size_t ntime,
                                  const TimeS* time, const MedianIqrConfig& config);

}  // namespace tecscan
