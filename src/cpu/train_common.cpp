// The parts of training every backend shares: the [train] checks and the RMSE of the split parts.
#include <cmath>
#include <limits>
#include <string>

#include "tecscan/error.hpp"
#include "tecscan/train.hpp"

namespace tecscan {

void check_train_config(const TrainConfig& tc) {
  if (tc.epochs < 1)
    throw InputError("[train] epochs must be >= 1 (got " + std::to_string(tc.epochs) + ")");
  if (tc.batch < 1)
    throw InputError("[train] batch must be >= 1 (got " + std::to_string(tc.batch) + ")");
  // 1 is allowed (k-fold trains each fold on the whole series); the config's split is (0, 1).
  if (!(tc.train_fraction > 0.0 && tc.train_fraction <= 1.0))
    throw InputError("[train] train_fraction must be in (0, 1] (got " +
                     std::to_string(tc.train_fraction) + ")");
  if (tc.holdout.begin < 0 || tc.holdout.end < tc.holdout.begin)
    throw InputError("[train] holdout must satisfy 0 <= begin <= end (got [" +
                     std::to_string(tc.holdout.begin) + ", " + std::to_string(tc.holdout.end) +
                     "))");
  if (tc.patience < 0)
    throw InputError("[train] patience must be >= 0 (got " + std::to_string(tc.patience) + ")");
  if (!(tc.validation_fraction > 0.0 && tc.validation_fraction <= 0.5))
    throw InputError("[train] validation_fraction must be in (0, 0.5] (got " +
                     std::to_string(tc.validation_fraction) + ")");
}

double prediction_rmse(const float* predicted, const float* tec, int begin, int end) {
  double sum = 0;
  long count = 0;
  for (int t = begin; t < end; ++t)
    if (std::isfinite(predicted[t]) && std::isfinite(tec[t])) {
      const double e = static_cast<double>(predicted[t]) - tec[t];
      sum += e * e;
      ++count;
    }
  return count > 0 ? std::sqrt(sum / count) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace tecscan
