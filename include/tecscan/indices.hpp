// Solar-geomagnetic index files -> one hourly table over a window.
// Conventions: every sample is stored as [start, start + duration). OMNI2 hour h covers
// h:00-h+1:00. Kyoto Dst hour h (1..24) ends at h:00, so it covers h-1:00-h:00.
#pragma once
#include <string>
#include <vector>

#include "tecscan/time.hpp"

namespace tecscan {

enum class IndexKind { kKp = 0, kAp = 1, kApDaily = 2, kDst = 3, kF107 = 4, kF107Obs = 5 };
constexpr int kNumIndexKinds = 6;
const char* index_name(IndexKind k);  // "kp", "ap", "ap_daily", "dst", "f107", "f107_obs"

struct IndexSample {
  TimeS start;
  int duration_s;
  float value;  // Kp as a decimal (2+ = 2.333), never a fill value
};

struct IndexFile {
  std::string path;
  std::string format;  // "omni2", "gfz", "celestrak", "kyoto-dst"
  std::vector<IndexSample> samples[kNumIndexKinds];
};

// Detects the format from the content; fill values become absent samples, never numbers.
// Throws InputError(file, line, expected) on malformed lines.
IndexFile read_index_file(const std::string& path);
// The same for the content of an index file; `name` stands for the file in error messages.
IndexFile parse_index_file(const std::string& text, const std::string& name);

struct IndexCoverage {
  long hours_total = 0;
  long hours_present[kNumIndexKinds] = {};
  TimeS first_missing[kNumIndexKinds] = {};  // valid when hours_present < hours_total
  TimeS last_missing[kNumIndexKinds] = {};
};

// Hourly values [start, start + nhours h); NaN = no file covers that hour.
// F10.7 is the adjusted flux where given (OMNI2 word 51, CelesTrak/GFZ adjusted), f107_obs the
// observed one. Earlier files in the list take precedence; later ones fill gaps.
struct HourlyIndices {
  TimeS start = 0;
  long nhours = 0;
  std::vector<float> values[kNumIndexKinds];
  IndexCoverage coverage;
  std::vector<std::string> sources;
  const std::vector<float>& of(IndexKind k) const { return values[static_cast<int>(k)]; }
};
HourlyIndices build_hourly(const std::vector<IndexFile>& files, TimeS start, long nhours);

// The value at instant t: the hourly value whose hour contains t (NaN outside the table).
float index_at(const HourlyIndices& h, IndexKind k, TimeS t);

// Quiet-condition thresholds (configs/default.toml [quiet]).
struct QuietThresholds {
  double kp_max = 2.5;    // Kp < 2.5
  double ap_max = 25;     // Ap (daily) < 25
  double dst_min = -20;   // -20 < Dst
  double dst_max = 20;    //        Dst < 20 nT
  double f107_max = 120;  // F10.7 < 120
  // Which F10.7: observed (the paper quotes observed fluxes; adjusted fills epochs where no
  // observed value is given, e.g. OMNI2-only input) or adjusted (1 AU).
  bool f107_observed = true;
  // An index without data at an epoch: false = that criterion cannot confirm quiet, so the
  // epoch is not quiet (default); true = the criterion is skipped (the others decide).
  bool ignore_missing = false;
};

// Summary printed by `tecscan indices`.
struct ExtremeValue {
  double value = 0.0 / 0.0;
  TimeS time = 0;
};
struct IndexSummary {
  ExtremeValue kp_max, ap_max, dst_min, dst_max, f107_max;
  double quiet_fraction = 0;  // hours where every criterion is present and quiet
};
IndexSummary summarize_indices(const HourlyIndices& h, const QuietThresholds& q);

}  // namespace tecscan
