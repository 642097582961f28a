// make_windows: the checks of its arguments, then windowing.hpp's rules (normalisation, usable
// targets, the chronological train/test split and the held-out range of k-fold validation).
#include <limits>
#include <string>

#include "tecscan/error.hpp"
#include "tecscan/train.hpp"
#include "tecscan/windowing.hpp"

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
  w.n_train = train_split(train_fraction, ntime);
  w.z.assign(static_cast<size_t>(ntime), std::numeric_limits<float>::quiet_NaN());
  const SeriesMoments moments = series_moments(tec, ntime);
  w.mean = moments.mean;
  w.std = moments.stdev;
  if (!normalisable(moments)) return w;

  for (int t = 0; t < ntime; ++t) w.z[t] = normalised_value(tec[t], moments);
  for_each_target(w.z.data(), ntime, input_len, w.n_train, holdout.begin, holdout.end,
                  [&](int t, bool trains) {
                    w.predict_targets.push_back(t);
                    if (trains) w.train_targets.push_back(t);
                  });
  return w;
}

}  // namespace tecscan
