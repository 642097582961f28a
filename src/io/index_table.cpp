// Index files -> one hourly table over a window, lookups and the summary of `tecscan indices`.
#include <algorithm>
#include <cmath>

#include "tecscan/error.hpp"
#include "tecscan/indices.hpp"

namespace tecscan {
namespace {

constexpr float kMissing = NAN;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}
int64_t ceil_div(int64_t a, int64_t b) {
  return -floor_div(-a, b);
}

// Keeps the first of equal extremes, so ties report the earliest time.
void keep_extreme(ExtremeValue& e, float v, TimeS t, bool want_max) {
  if (std::isnan(v)) return;
  if (std::isnan(e.value) || (want_max ? v > e.value : v < e.value)) e = {v, t};
}

}  // namespace

const char* index_name(IndexKind k) {
  switch (k) {
    case IndexKind::kKp:
      return "kp";
    case IndexKind::kAp:
      return "ap";
    case IndexKind::kApDaily:
      return "ap_daily";
    case IndexKind::kDst:
      return "dst";
    case IndexKind::kF107:
      return "f107";
    case IndexKind::kF107Obs:
      return "f107_obs";
  }
  return "unknown";
}

HourlyIndices build_hourly(const std::vector<IndexFile>& files, TimeS start, long nhours) {
  if (nhours < 0) throw InputError("hourly index table: negative number of hours");
  HourlyIndices h;
  h.start = start;
  h.nhours = nhours;
  for (auto& v : h.values) v.assign(static_cast<size_t>(nhours), kMissing);
  // Hour i = [start + i h, start + (i + 1) h) takes the sample that contains its start; a sample
  // only fills hours still empty, so earlier files win.
  for (const IndexFile& file : files) {
    h.sources.push_back(file.path);
    for (int k = 0; k < kNumIndexKinds; ++k) {
      std::vector<float>& out = h.values[k];
      for (const IndexSample& s : file.samples[k]) {
        int64_t first = std::max<int64_t>(0, ceil_div(s.start - start, kHour));
        int64_t end = std::min<int64_t>(nhours, ceil_div(s.start + s.duration_s - start, kHour));
        for (int64_t i = first; i < end; ++i)
          if (std::isnan(out[i])) out[i] = s.value;
      }
    }
  }
  IndexCoverage& c = h.coverage;
  c.hours_total = nhours;
  for (int k = 0; k < kNumIndexKinds; ++k) {
    bool gap_seen = false;
    for (long i = 0; i < nhours; ++i) {
      if (!std::isnan(h.values[k][i])) {
        ++c.hours_present[k];
        continue;
      }
      TimeS t = start + i * kHour;
      if (!gap_seen) c.first_missing[k] = t;
      c.last_missing[k] = t;
      gap_seen = true;
    }
  }
  return h;
}

float index_at(const HourlyIndices& h, IndexKind k, TimeS t) {
  if (t < h.start) return kMissing;
  int64_t i = (t - h.start) / kHour;
  if (i >= h.nhours) return kMissing;
  return h.of(k)[static_cast<size_t>(i)];
}

IndexSummary summarize_indices(const HourlyIndices& h, const QuietThresholds& q) {
  IndexSummary s;
  const auto& kp = h.of(IndexKind::kKp);
  const auto& ap = h.of(IndexKind::kAp);
  const auto& ap_daily = h.of(IndexKind::kApDaily);
  const auto& dst = h.of(IndexKind::kDst);
  const auto& f107 = h.of(IndexKind::kF107);
  long quiet_hours = 0;
  for (long i = 0; i < h.nhours; ++i) {
    TimeS t = h.start + i * kHour;
    // Kp and ap are 3-hour indices (intervals start at 0, 3, ... 21 UT); F10.7 is daily.
    TimeS interval = floor_div(t, 3 * kHour) * 3 * kHour;
    keep_extreme(s.kp_max, kp[i], interval, true);
    keep_extreme(s.ap_max, ap[i], interval, true);
    keep_extreme(s.dst_min, dst[i], t, false);
    keep_extreme(s.dst_max, dst[i], t, true);
    keep_extreme(s.f107_max, f107[i], floor_div(t, kDay) * kDay, true);
    // NaN compares false, so a missing criterion never confirms quiet.
    if (kp[i] < q.kp_max && ap_daily[i] < q.ap_max && dst[i] > q.dst_min && dst[i] < q.dst_max &&
        f107[i] < q.f107_max)
      ++quiet_hours;
  }
  if (h.nhours > 0) s.quiet_fraction = static_cast<double>(quiet_hours) / h.nhours;
  return s;
}

}  // namespace tecscan
