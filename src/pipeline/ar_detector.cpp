#include <Eigen/Dense>
#include <cmath>
#include <limits>
#include <string>

#include "tecscan/ar.hpp"
#include "tecscan/error.hpp"
#include "tecscan/parallel.hpp"

namespace tecscan {

ArFit ar_fit(const float* tec, size_t nnode, size_t ntime, int order, const TrainConfig& tc,
             int threads) {
  if (order < 1)
    throw InputError("ar: order must be >= 1 (got " + std::to_string(order) +
                     "); check [model] window");
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const size_t ncoef = static_cast<size_t>(order) + 1;
  ArFit fit;
  fit.order = order;
  fit.nnode = nnode;
  fit.coef.assign(nnode * ncoef, kNaN);
  fit.mean.assign(nnode, kNaN);
  fit.std.assign(nnode, kNaN);

  // Nodes are independent and each writes only its own row: the result does not depend on the
  // number of threads.
  parallel_for(nnode, threads, [&](size_t n) {
    const NodeWindows w = make_windows(tec + n * ntime, static_cast<int>(ntime), order,
                                       tc.train_fraction, tc.holdout);
    fit.mean[n] = w.mean;
    fit.std[n] = w.std;
    const size_t rows = w.train_targets.size();
    // At least one residual degree of freedom, so a fit is never an exact interpolation.
    if (rows < ncoef + 1) return;

    // Design matrix in double: rows (z[t-p] .. z[t-1], 1), the same window the networks see.
    Eigen::MatrixXd x(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(ncoef));
    Eigen::VectorXd y(static_cast<Eigen::Index>(rows));
    for (size_t r = 0; r < rows; ++r) {
      const int t = w.train_targets[r];
      const auto i = static_cast<Eigen::Index>(r);
      for (int k = 0; k < order; ++k) x(i, k) = w.z[static_cast<size_t>(t - order + k)];
      x(i, order) = 1.0;
      y(i) = w.z[static_cast<size_t>(t)];
    }
    Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(x);
    // Collinear inputs (e.g. a series alternating between two values) have no unique fit.
    // Eigen's default rank threshold (a few epsilon) is below the rounding noise of thousands of
    // Householder steps, so exact collinearity would pass for full rank: 1e-9 relative to the
    // largest pivot means a condition number above 1e9, where the weights are noise anyway.
    qr.setThreshold(1e-9);
    if (qr.rank() < static_cast<Eigen::Index>(ncoef)) return;
    const Eigen::VectorXd b = qr.solve(y);
    for (size_t k = 0; k < ncoef; ++k) fit.coef[n * ncoef + k] = b(static_cast<Eigen::Index>(k));
  });
  return fit;
}

void ar_predict(const ArFit& fit, const float* tec, size_t nnode, size_t ntime,
                const uint8_t* epoch_mask, float* predicted) {
  if (nnode != fit.nnode)
    throw InputError("ar_predict: " + std::to_string(nnode) + " nodes, the fit has " +
                     std::to_string(fit.nnode));
  const size_t p = static_cast<size_t>(fit.order);
  const size_t ncoef = p + 1;
  for (size_t n = 0; n < nnode; ++n) {
    const double* c = fit.coef.data() + n * ncoef;
    const double mean = fit.mean[n], sd = fit.std[n];
    if (std::isnan(c[0]) || !std::isfinite(mean) || !(sd > 0 && std::isfinite(sd))) continue;
    const float* x = tec + n * ntime;
    float* out = predicted + n * ntime;
    for (size_t t = p; t < ntime; ++t) {
      if (epoch_mask && !epoch_mask[t]) continue;
      double s = c[p];  // intercept
      bool finite = true;
      for (size_t k = 0; k < p && finite; ++k) {
        const float v = x[t - p + k];
        finite = std::isfinite(v);
        s += c[k] * ((v - mean) / sd);
      }
      if (finite) out[t] = static_cast<float>(s * sd + mean);
    }
  }
}

}  // namespace tecscan
