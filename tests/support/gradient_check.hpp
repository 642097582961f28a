// Test support: per-parameter gradient comparisons. A gradient under test is compared entry by
// entry against a reference (the CPU model's backward, or central finite differences of a
// double-precision loss); the worst relative error and where it happened are reported so that
// every test can print what it measured next to its tolerance.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace tecscan::test {

// Largest |got - want| / (|want| + floor) over a gradient; floor = floor_fraction * max |want|,
// so entries that are zero up to rounding (a dead ReLU, a cancelling sum) do not dominate.
struct GradientError {
  double max_rel = 0;
  size_t where = 0;
  double got = 0, want = 0;
  size_t nan_mismatch = 0;
};

template <typename A, typename B>
GradientError gradient_error(const std::vector<A>& got, const std::vector<B>& want,
                             double floor_fraction = 1e-3) {
  double scale = 0;
  for (B w : want)
    if (std::isfinite(static_cast<double>(w))) scale = std::max(scale, std::fabs(double(w)));
  const double floor = std::max(floor_fraction * scale, 1e-30);
  GradientError e;
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    const double g = static_cast<double>(got[i]), w = static_cast<double>(want[i]);
    if (!std::isfinite(g) || !std::isfinite(w)) {
      e.nan_mismatch += std::isfinite(g) != std::isfinite(w) || std::isnan(g) != std::isnan(w);
      continue;
    }
    const double rel = std::fabs(g - w) / (std::fabs(w) + floor);
    if (rel > e.max_rel) e.max_rel = rel, e.where = i, e.got = g, e.want = w;
  }
  if (got.size() != want.size()) e.nan_mismatch += 1;
  return e;
}

// "... max rel err 1.2e-07 at #17 (got .., want ..) (tol 1e-06)", printed and returned.
inline std::string report_gradient_error(const std::string& what, const GradientError& e,
                                         double tol) {
  char line[400];
  std::snprintf(line, sizeof line,
                "[gradient] %s: max rel err %.3g at #%zu (got %.9g, want %.9g) (tol %.3g)",
                what.c_str(), e.max_rel, e.where, e.got, e.want, tol);
  std::printf("%s\n", line);
  return line;
}

// Central finite differences of loss(params) in double, one entry per parameter.
inline std::vector<double> central_differences(
    std::vector<double> params, const std::function<double(const std::vector<double>&)>& loss,
    double eps = 1e-6) {
  std::vector<double> g(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const double keep = params[i];
    params[i] = keep + eps;
    const double up = loss(params);
    params[i] = keep - eps;
    const double down = loss(params);
    params[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

}  // namespace tecscan::test
