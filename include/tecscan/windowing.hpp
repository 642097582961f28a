// The windowing rules of train.hpp's NodeWindows, written once: normalisation, the train/test
// split and which targets are usable and trained on. make_windows and predict_series_cpu (CPU)
// and windows_block (kernels/window_kernels.cuh, on the device and in the host kernel tests)
// all call these, so the backends agree bit for bit.
#pragma once
#include <cmath>
#include <limits>

#include "tecscan/hd.hpp"

namespace tecscan {

// Mean and sample standard deviation (N - 1) of a series' finite values, two passes in double
// in time order; NaN where undefined (no finite value; fewer than two).
struct SeriesMoments {
  double mean = 0, stdev = 0;
};
TECSCAN_HD inline SeriesMoments series_moments(const float* tec, int ntime) {
  using std::sqrt;
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  long count = 0;
  for (int t = 0; t < ntime; ++t)
    if (finite_value(tec[t])) sum += tec[t], ++count;
  SeriesMoments s;
  s.mean = count > 0 ? sum / count : kNaN;
  double sq = 0;
  for (int t = 0; t < ntime; ++t)
    if (finite_value(tec[t])) sq += (tec[t] - s.mean) * (tec[t] - s.mean);
  s.stdev = count > 1 ? sqrt(sq / (count - 1)) : kNaN;
  return s;
}

// A constant or (almost) empty series cannot be normalised: no targets, no predictions.
TECSCAN_HD inline bool normalisable(const SeriesMoments& s) {
  return finite_value(s.mean) && finite_value(s.stdev) && s.stdev > 0.0;
}

// z = (tec - mean) / stdev in float; NaN for a missing (non-finite) value.
TECSCAN_HD inline float normalised_value(float tec, const SeriesMoments& s) {
  return finite_value(tec) ? static_cast<float>((tec - s.mean) / s.stdev)
                           : std::numeric_limits<float>::quiet_NaN();
}

// n_train = floor(train_fraction * ntime): the first index of the test part.
TECSCAN_HD inline int train_split(double train_fraction, int ntime) {
  using std::floor;
  return static_cast<int>(floor(train_fraction * ntime));
}

// Which targets a node has, in ascending t: visit(t, trains) for every usable target t (t >=
// input_len and z[t - input_len .. t - 1] finite); trains when also z[t] is finite, t < n_train
// and t is outside the held-out range [holdout_begin, holdout_end).
template <typename Visit>
TECSCAN_HD inline void for_each_target(const float* z, int ntime, int input_len, int n_train,
                                       int holdout_begin, int holdout_end, Visit&& visit) {
  int finite_run = 0;  // finite values ending at t - 1
  for (int t = 0; t < ntime; ++t) {
    if (t >= input_len && finite_run >= input_len) {
      const bool held_out = t >= holdout_begin && t < holdout_end;
      visit(t, t < n_train && !held_out && finite_value(z[t]));
    }
    finite_run = finite_value(z[t]) ? finite_run + 1 : 0;
  }
}

}  // namespace tecscan
