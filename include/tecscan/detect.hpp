// From predictions to anomalies: dTEC, DTEC = (dTEC - median)/IQR, the quiet mask, the
// anomaly flags and the consensus count. The CPU functions here are the reference; the CUDA
// backend provides the same functions over device buffers (Thrust) and must agree to rounding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "tecscan/dtec.hpp"
#include "tecscan/indices.hpp"
#include "tecscan/time.hpp"

namespace tecscan {

// observed/predicted: [node][time]; time: [ntime] (for the UTC hour of each epoch).
// Statistics over the finite deltas of each (node, group) at the epochs with stats_mask[t] != 0
// (null: every epoch; the calibrated scan passes its control epochs); DTEC is computed at every
// epoch from its group's statistics. Quantiles per stats.hpp (type 7).
void compute_dtec_cpu(const float* observed, const float* predicted, size_t nnode, size_t ntime,
                      const TimeS* time, DtecScope scope, const uint8_t* stats_mask,
                      DtecOutput& out);
using DtecFn = std::function<void(const float*, const float*, size_t, size_t, const TimeS*,
                                  DtecScope, const uint8_t*, DtecOutput&)>;

// The |DTEC| threshold at a stated false-alarm rate: the (1 - rate) quantile (type 7) of |dtec|
// over the finite values at node-epochs with mask[t] != 0 (the control epochs). NaN when there
// are none. `count` (optional) receives how many values it was taken from.
double threshold_at_false_alarm_rate(const float* dtec, size_t nnode, size_t ntime,
                                     const uint8_t* mask, double rate, size_t* count = nullptr);
// The same per UTC hour of day, in one pass: [24] thresholds, NaN for an hour with fewer than
// min_count values (the caller falls back to the overall threshold there).
std::vector<double> hourly_thresholds_at_false_alarm_rate(const float* dtec, size_t nnode,
                                                          size_t ntime, const TimeS* time,
                                                          const uint8_t* mask, double rate,
                                                          size_t min_count);

// Quiet mask per epoch: bit i of `missing` set when criterion i (0 Kp, 1 Ap, 2 Dst, 3 F10.7)
// had no data. Policy: a criterion without data cannot confirm quiet -> not quiet.
struct QuietMask {
  std::vector<uint8_t> quiet;    // [time] 1 = every criterion present and quiet
  std::vector<uint8_t> missing;  // [time] bit mask of criteria without data
};
// kp, ap_daily, dst, f107: per epoch (NaN = missing).
QuietMask quiet_mask(const float* kp, const float* ap_daily, const float* dst, const float* f107,
                     size_t ntime, const QuietThresholds& q);

// anomaly[node][time] = |dtec| > threshold AND quiet[time].
void flag_anomalies(const float* dtec, const uint8_t* quiet, size_t nnode, size_t ntime,
                    double threshold, uint8_t* anomaly);
// The same with the threshold of each epoch's UTC hour (hour_threshold [24]).
void flag_anomalies_by_hour(const float* dtec, const uint8_t* quiet, const TimeS* time,
                            size_t nnode, size_t ntime, const double* hour_threshold,
                            uint8_t* anomaly);

}  // namespace tecscan
