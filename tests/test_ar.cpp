// The AR(p) baseline detector: coefficient recovery on simulated series, the holdout and the
// test part kept out of the fit, missing data, and predictions checked by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tecscan/ar.hpp"
#include "tecscan/rng.hpp"
#include "tecscan/train.hpp"

namespace tecscan {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kPi = 3.14159265358979323846;

// Standard normal draws (Box-Muller on the project's counter-based RNG: the same numbers on
// every platform, unlike std::normal_distribution).
double normal(uint64_t key, uint64_t i) {
  const double u1 = (static_cast<double>(rng_u64(key, 2 * i) >> 11) + 0.5) * 0x1p-53;
  const double u2 = static_cast<double>(rng_u64(key, 2 * i + 1) >> 11) * 0x1p-53;
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * kPi * u2);
}

// x[t] = c + sum_k phi[k] x[t-1-k] + e[t], e ~ N(0, 1); phi[0] is the lag-1 weight. 500 epochs
// of burn-in are dropped so the series starts in its stationary regime.
std::vector<float> simulate_ar(const std::vector<double>& phi, double c, size_t n, uint64_t seed) {
  const size_t burn = 500, p = phi.size();
  std::vector<double> x(n + burn, c);
  const uint64_t key = rng_key(seed, 0, 0, 99);
  for (size_t t = p; t < n + burn; ++t) {
    double v = c + normal(key, t);
    for (size_t k = 0; k < p; ++k) v += phi[k] * x[t - 1 - k];
    x[t] = v;
  }
  return std::vector<float>(x.begin() + burn, x.end());
}

TrainConfig all_train() {
  TrainConfig tc;
  tc.train_fraction = 1.0;
  return tc;
}

// The x-space intercept c of a fit: z = (x - m) / s turns x[t] = c + sum phi x into
// z[t] = sum phi z + b with c = b s + m (1 - sum phi).
double x_intercept(const ArFit& f, size_t node) {
  const size_t nc = static_cast<size_t>(f.order) + 1;
  double sum_phi = 0;
  for (size_t k = 0; k + 1 < nc; ++k) sum_phi += f.coef[node * nc + k];
  return f.coef[node * nc + nc - 1] * f.std[node] + f.mean[node] * (1 - sum_phi);
}

// Recovery within 0.03: with 50000 targets the standard error of each AR weight is below
// 1/sqrt(50000) = 0.0045, so 0.03 is more than six standard errors. The intercept carries the
// error of the weights times the mean (~0.004 * 4 * 14), hence 0.25.
void expect_recovers(const std::vector<double>& phi, double c) {
  const size_t n = 50000, p = phi.size();
  const std::vector<float> x = simulate_ar(phi, c, n, 7 + p);
  const ArFit f = ar_fit(x.data(), 1, n, static_cast<int>(p), all_train());
  ASSERT_EQ(f.order, static_cast<int>(p));
  ASSERT_EQ(f.coef.size(), p + 1);
  // Oldest first: coef[k] weights z[t-p+k], i.e. lag p - k.
  for (size_t k = 0; k < p; ++k) EXPECT_NEAR(f.coef[k], phi[p - 1 - k], 0.03) << "lag " << p - k;
  double sum_phi = 0;
  for (double v : phi) sum_phi += v;
  EXPECT_NEAR(f.mean[0], c / (1 - sum_phi), 0.1);
  EXPECT_NEAR(x_intercept(f, 0), c, 0.25);

  // One-step predictions of a well-specified fit leave the innovation: residual RMSE ~ 1.
  std::vector<float> pred(n, kNaN);
  ar_predict(f, x.data(), 1, n, nullptr, pred.data());
  double sq = 0;
  for (size_t t = p; t < n; ++t) sq += (x[t] - pred[t]) * (x[t] - pred[t]);
  EXPECT_NEAR(std::sqrt(sq / static_cast<double>(n - p)), 1.0, 0.03);
  for (size_t t = 0; t < p; ++t) EXPECT_TRUE(std::isnan(pred[t])) << "no inputs before t = p";
}

TEST(ArFit, RecoversAr2Coefficients) {
  expect_recovers({0.6, -0.3}, 10.0);
}

TEST(ArFit, RecoversAr4Coefficients) {
  expect_recovers({0.4, 0.2, -0.2, 0.1}, 5.0);
}

TEST(ArFit, HoldoutTargetsAreNotFitted) {
  const size_t n = 3000;
  const std::vector<double> phi = {0.6, -0.3};
  std::vector<float> x = simulate_ar(phi, 10.0, n, 3);
  TrainConfig tc = all_train();
  tc.holdout = {1500, 1520};
  const ArFit clean = ar_fit(x.data(), 1, n, 2, tc);
  // A huge outlier at 1510 touches targets 1510..1512 (as target and as input): all held out.
  std::vector<float> spiked = x;
  spiked[1510] += 1000.0f;
  const ArFit held = ar_fit(spiked.data(), 1, n, 2, tc);
  const ArFit open = ar_fit(spiked.data(), 1, n, 2, all_train());

  // The outlier moves the normalisation, which the lag weights do not see (they are invariant
  // to an affine change of units) and the x-space intercept undoes; z is stored in float,
  // hence 1e-4 rather than 1e-12.
  EXPECT_GT(std::fabs(held.mean[0] - clean.mean[0]), 0.1);
  for (size_t k = 0; k < 2; ++k) EXPECT_NEAR(held.coef[k], clean.coef[k], 1e-4) << k;
  EXPECT_NEAR(x_intercept(held, 0), x_intercept(clean, 0), 1e-3);
  // Without the holdout the same outlier drags the lag-1 weight far away.
  EXPECT_GT(std::fabs(open.coef[1] - clean.coef[1]), 0.05) << open.coef[1] << " " << clean.coef[1];
}

TEST(ArFit, TestPartIsNotFitted) {
  const size_t n = 2000;
  std::vector<float> x = simulate_ar({0.5, 0.2}, 3.0, n, 11);
  TrainConfig tc;
  tc.train_fraction = 0.5;  // targets >= 1000 are the test part
  const ArFit clean = ar_fit(x.data(), 1, n, 2, tc);
  std::vector<float> spiked = x;
  spiked[1500] -= 800.0f;
  const ArFit after = ar_fit(spiked.data(), 1, n, 2, tc);
  for (size_t k = 0; k < 2; ++k) EXPECT_NEAR(after.coef[k], clean.coef[k], 1e-4) << k;
  spiked[500] -= 800.0f;  // now inside the training part: the fit changes
  const ArFit moved = ar_fit(spiked.data(), 1, n, 2, tc);
  EXPECT_GT(std::fabs(moved.coef[1] - clean.coef[1]), 0.05)
      << moved.coef[1] << " " << clean.coef[1];
}

TEST(ArFit, MissingDataAndDegenerateNodes) {
  const size_t n = 20000, p = 2;
  std::vector<float> tec(5 * n, kNaN);
  // Node 0: AR(2) with every 37th value missing; windows touching a gap are skipped.
  const std::vector<float> x = simulate_ar({0.6, -0.3}, 10.0, n, 5);
  for (size_t t = 0; t < n; ++t) tec[t] = t % 37 == 20 ? kNaN : x[t];
  // Node 1: no data. Node 2: constant (cannot be normalised).
  for (size_t t = 0; t < n; ++t) tec[2 * n + t] = 12.0f;
  // Node 3: 4 values -> 2 training targets, fewer than order + 2.
  for (size_t t = 0; t < 4; ++t) tec[3 * n + t] = 10.0f + static_cast<float>(t * t);
  // Node 4: 1, 2, 1, 2, ...: z[t-1] = -z[t-2] exactly, a rank-deficient design.
  for (size_t t = 0; t < n; ++t) tec[4 * n + t] = t % 2 == 0 ? 1.0f : 2.0f;

  const ArFit f = ar_fit(tec.data(), 5, n, static_cast<int>(p), all_train());
  ASSERT_EQ(f.nnode, 5u);
  ASSERT_EQ(f.coef.size(), 5 * (p + 1));
  EXPECT_NEAR(f.coef[0], -0.3, 0.03);  // ~19000 targets: standard error < 0.008
  EXPECT_NEAR(f.coef[1], 0.6, 0.03);
  for (size_t node = 1; node < 5; ++node)
    for (size_t k = 0; k <= p; ++k) EXPECT_TRUE(std::isnan(f.coef[node * (p + 1) + k])) << node;
  EXPECT_TRUE(std::isnan(f.mean[1]));
  // Threads change nothing: every node is fitted alone.
  const ArFit g = ar_fit(tec.data(), 5, n, static_cast<int>(p), all_train(), 3);
  for (size_t k = 0; k < f.coef.size(); ++k)
    EXPECT_TRUE(f.coef[k] == g.coef[k] || (std::isnan(f.coef[k]) && std::isnan(g.coef[k]))) << k;
  EXPECT_FLOAT_EQ(f.mean[4], 1.5f);  // normalisation is kept even where no fit exists

  // Predictions: nodes without a fit and epochs whose inputs touch a gap stay untouched.
  const float kSentinel = -999.0f;
  std::vector<float> pred(5 * n, kSentinel);
  ar_predict(f, tec.data(), 5, n, nullptr, pred.data());
  for (size_t t = 0; t < n; ++t) {
    const bool gap_input = (t >= 1 && std::isnan(tec[t - 1])) || (t >= 2 && std::isnan(tec[t - 2]));
    if (t < p || gap_input)
      EXPECT_EQ(pred[t], kSentinel) << t;
    else
      EXPECT_TRUE(std::isfinite(pred[t])) << t;  // also where the target itself is missing
  }
  for (size_t k = n; k < 5 * n; ++k) ASSERT_EQ(pred[k], kSentinel) << k;
}

TEST(ArPredict, MatchesHandComputation) {
  // order 2, node 0: z[t] = 0.25 z[t-2] + 0.5 z[t-1] + 0.1 with mean 10, std 2; node 1: no fit.
  ArFit f;
  f.order = 2;
  f.nnode = 2;
  f.coef = {0.25, 0.5, 0.1, std::nan(""), std::nan(""), std::nan("")};
  f.mean = {10, 3};
  f.std = {2, 1};
  const size_t nt = 8;
  std::vector<float> tec = {12, 8, 14, kNaN, 10, 11, 9, 5,  // node 0
                            1,  2, 3,  4,    5,  6,  7, 8};
  const std::vector<uint8_t> mask = {1, 1, 1, 1, 1, 1, 0, 1};
  std::vector<float> pred(2 * nt, -1.0f);
  ar_predict(f, tec.data(), 2, nt, mask.data(), pred.data());
  // t=2: z = (1, -1) -> 0.25 - 0.5 + 0.1 = -0.15 -> 9.7.  t=3: z = (-1, 2) -> 0.85 -> 11.7
  // (the missing target does not matter). t=4, 5: an input is missing. t=6: masked out.
  // t=7: z = (0.5, -0.5) -> -0.025 -> 9.95. The fit's mean/std normalise, not the series'.
  const std::vector<float> want = {-1, -1, 9.7f, 11.7f, -1, -1, -1, 9.95f};
  for (size_t t = 0; t < nt; ++t) EXPECT_NEAR(pred[t], want[t], 1e-5) << t;
  for (size_t t = 0; t < nt; ++t) EXPECT_EQ(pred[nt + t], -1.0f) << t;
}

}  // namespace
}  // namespace tecscan
