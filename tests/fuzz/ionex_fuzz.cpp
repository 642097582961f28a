// libFuzzer target: any bytes -> parse_ionex (and assemble_series on what parses). The only
// acceptable outcomes are a result that keeps the layout invariants or an InputError; any other
// exception, a sanitizer report or a timeout is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "tecscan/error.hpp"
#include "tecscan/ionex.hpp"

using tecscan_fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const tecscan::IonexFile file = tecscan::parse_ionex(text, "fuzz-input");
    const size_t cells = static_cast<size_t>(file.grid.nlat) * file.grid.nlon;
    check(file.grid.nlat > 0 && file.grid.nlon > 0);
    for (const tecscan::IonexMap& map : file.maps)
      check(map.tec.size() == cells && (map.rms.empty() || map.rms.size() == cells));
    if (file.maps.empty()) return 0;
    // Keep the series small enough for the fuzzer's memory limit.
    const tecscan::TimeS span = file.maps.back().epoch - file.maps.front().epoch;
    const double step = file.interval_s > 0 ? file.interval_s : 1.0;
    if ((span < 0 ? -span : span) / step * static_cast<double>(cells) > 2e7) return 0;
    const tecscan::IonexSeries series = tecscan::assemble_series({file});
    check(series.ntime >= 1 && series.step > 0);
    check(series.tec.size() ==
          static_cast<size_t>(series.ntime) * series.grid.nlat * series.grid.nlon);
    check(series.rms.empty() || series.rms.size() == series.tec.size());
    check(series.gaps.missing_epochs < series.ntime);
  } catch (const tecscan::InputError&) {
  }
  return 0;
}
