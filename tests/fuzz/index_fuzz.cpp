// libFuzzer target: any bytes -> parse_index_file (the format detected from the content, as for
// a file: OMNI2, GFZ, CelesTrak or Kyoto Dst), then the hourly table and the summary of
// `tecscan indices` over the samples' span. The only acceptable outcomes are samples that keep
// the readers' invariants (no fill value or negative amplitude becomes a sample) or an
// InputError.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "tecscan/error.hpp"
#include "tecscan/indices.hpp"

using tecscan_fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const tecscan::IndexFile file = tecscan::parse_index_file(text, "fuzz-input");
    check(file.format == "omni2" || file.format == "gfz" || file.format == "celestrak" ||
          file.format == "kyoto-dst");
    tecscan::TimeS first = INT64_MAX, last = INT64_MIN;
    for (int k = 0; k < tecscan::kNumIndexKinds; ++k)
      for (const tecscan::IndexSample& s : file.samples[k]) {
        check(std::isfinite(s.value) && s.duration_s > 0);  // fill values never become samples
        const auto kind = static_cast<tecscan::IndexKind>(k);
        if (kind == tecscan::IndexKind::kKp) check(s.value >= 0 && s.value <= 9);
        if (kind != tecscan::IndexKind::kKp && kind != tecscan::IndexKind::kDst)
          check(s.value >= 0);  // ap, Ap and F10.7 are amplitudes and fluxes
        first = std::min(first, s.start);
        last = std::max(last, s.start + s.duration_s);
      }
    if (first > last) return 0;
    // The table over the samples' span (capped at ten years of hours, the fuzzer's memory limit).
    const long nhours = static_cast<long>(std::min<int64_t>((last - first) / 3600 + 1, 87660));
    const tecscan::HourlyIndices hourly = tecscan::build_hourly({file}, first, nhours);
    for (int k = 0; k < tecscan::kNumIndexKinds; ++k) {
      check(hourly.values[k].size() == static_cast<size_t>(nhours));
      check(hourly.coverage.hours_present[k] <= nhours);
    }
    const tecscan::IndexSummary summary = tecscan::summarize_indices(hourly, {});
    check(summary.quiet_fraction >= 0 && summary.quiet_fraction <= 1);
  } catch (const tecscan::InputError&) {
  }
  return 0;
}
