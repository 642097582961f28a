// Per-event significance: how unusual is the anomaly rate of the precursor window, compared
// with windows of the same length from the same series before it? The answer a scan reports
// for every detector and the consensus, instead of a bare count of flags.
//
// rate(W) = anomalies in W / valid node-epochs in W, where a valid node-epoch is quiet with a
// finite DTEC. The precursor window is [event - window_days, event); the control windows have
// the same length and end every control_step_days before it (no overlap with it, none after
// the event). p = (1 + #{control rate >= window rate}) / (1 + controls): exact when the
// precursor window is exchangeable with the controls, which the blocked K-fold predictions and
// the control-epoch statistics are there to make true (docs/calibration.md).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tecscan/time.hpp"

namespace tecscan {

struct WindowLayout {
  TimeS event_time = 0;
  double window_days = 15;
  double control_step_days = 1;
  TimeS window_begin() const { return event_time - static_cast<TimeS>(window_days * kDay); }
};

struct Significance {
  std::string name;  // detector or "consensus"
  double threshold = 0;
  std::string threshold_source;
  double window_rate = 0;  // NaN when the precursor window has no valid node-epoch
  long window_anomalies = 0, window_valid = 0;
  std::vector<double> control_rates;    // [control]
  std::vector<double> control_end_day;  // [control] window end, days to the event
  double control_mean = 0, control_sd = 0, control_p05 = 0, control_p50 = 0, control_p95 = 0;
  double p_value = 0, z = 0, rate_ratio = 0;  // NaN when undefined (no controls, sd 0 ...)
  // Daily rates for the figure: bin d covers days_to_event in [d, d + 1).
  std::vector<double> daily_rate;                       // [day]; NaN where no valid node-epoch
  std::vector<int64_t> daily_valid;                     // [day]
  double daily_control_p05 = 0, daily_control_p95 = 0;  // over the days before the window
};

// Day offsets of the daily bins: floor(first days_to_event) .. floor(last).
std::vector<int32_t> significance_days(const TimeS* time, size_t ntime, TimeS event_time);

// anomaly, valid: [node][time] (0/1). Fills everything but name/threshold/threshold_source.
Significance window_significance(const uint8_t* anomaly, const uint8_t* valid, size_t nnode,
                                 const TimeS* time, size_t ntime, const WindowLayout& layout);

// The epochs whose statistics calibrate a detector: quiet and before the precursor window.
std::vector<uint8_t> control_epochs(const uint8_t* quiet, const TimeS* time, size_t ntime,
                                    const WindowLayout& layout);

}  // namespace tecscan
