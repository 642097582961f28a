// libFuzzer target: any bytes -> read_comcat (a USGS ComCat CSV), then the selection that
// `tecscan catalog` and `scan --event-index` use. The only acceptable outcomes are events that
// keep the reader's invariants or an InputError.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_check.hpp"
#include "tecscan/catalog.hpp"
#include "tecscan/error.hpp"
#include "tecscan/validate.hpp"

using tecscan_fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const std::vector<tecscan::Event> events = tecscan::read_comcat(in, "fuzz-input");
    for (const tecscan::Event& e : events) {
      check(!e.id.empty());
      check(e.lat >= -90 && e.lat <= 90 && e.lon >= -180 && e.lon < 180);
      check(e.time_frac >= 0 && e.time_frac < 1);
      check(std::isnan(e.mag) || tecscan::kMagnitudeRange.contains(e.mag));
      check(std::isnan(e.depth_km) || (e.depth_km >= -10 && e.depth_km <= 1000));
    }
    tecscan::CatalogFilter all;
    all.earthquakes_only = false;
    const std::vector<tecscan::Event> sorted = tecscan::select_events(events, all);
    check(sorted.size() == events.size());  // no magnitude filter drops none
    for (size_t i = 1; i < sorted.size(); ++i) check(sorted[i - 1].time <= sorted[i].time);
    if (!events.empty())
      check(&tecscan::find_event(events, events.front().id, "fuzz-input") == &events.front());
  } catch (const tecscan::InputError&) {
  }
  return 0;
}
