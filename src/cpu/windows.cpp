// make_windows: normalisation, usable targets, the chronological train/test split and the
// held-out range (k-fold validation).
#include <cmath>
#include <limits>
#include <string>

#include "tecscan/error.hpp"
#include "tecscan/train.hpp"

namespace tecscan {

NodeWindows make_windows(const float* tec, int ntime, int input_len, double train_fraction,
                         TargetRange holdout) {
  if (ntime < 0) throw InputError("make_windows: negative series length");
  if (input_len < 1)
    throw InputError("make_windows: input length must be >= 1 (got " + std::to_string(input_len) +
                     "); check [model] window");
  if (!(train_fraction > 0.0 && train_fraction <= 1.0))
    throw InputError("[train] train_fraction must be in (0, 1] (got " +
                     std::to_string(train_fraction) + ")");
  if (holdout.begin < 0 || holdout.end < holdout.begin)
    throw InputError("[train] holdout must satisfy 0 <= begin <= end (got [" +
                     std::to_string(holdout.begin) + ", " + std::to_string(holdout.end) + "))");

  NodeWindows w;
  w.input_len = input_len;
  w.n_train = static_cast<int>(std::floor(train_fraction * ntime));
  w.z.assign(static_cast<size_t>(ntime), std::numeric_limits<float>::quiet_NaN());

  // Mean and sample standard deviation (N - 1) of the finite values, two-pass in double.
  double sum = 0;
  long count = 0;
  for (int t = 0; t < ntime; ++t)
    if (std::isfinite(tec[t])) sum += tec[t], ++count;
  double mean = count > 0 ? sum / count : std::numeric_limits<double>::quiet_NaN();
  double sq = 0;
  for (int t = 0; t < ntime; ++t)
    if (std::isfinite(tec[t])) sq += (tec[t] - mean) * (tec[t] - mean);
  double stdev = count > 1 ? std::sqrt(sq / (count - 1)) : std::numeric_limits<double>::quiet_NaN();
  w.mean = mean;
  w.std = stdev;
  // A constant or (almost) empty series cannot be normalised: no targets, no predictions.
  if (!(stdev > 0.0) || !std::isfinite(stdev)) return w;

  for (int t = 0; t < ntime; ++t)
    if (std::isfinite(tec[t])) w.z[t] = static_cast<float>((tec[t] - mean) / stdev);

  int finite_run = 0;  // finite values ending at t - 1
  for (int t = 0; t < ntime; ++t) {
    if (t >= input_len && finite_run >= input_len) {
      w.predict_targets.push_back(t);
      if (t < w.n_train && !holdout.contains(t) && std::isfinite(w.z[t]))
        w.train_targets.push_back(t);
    }
    finite_run = std::isfinite(w.z[t]) ? finite_run + 1 : 0;
  }
  return w;
}

}  // namespace tecscan
