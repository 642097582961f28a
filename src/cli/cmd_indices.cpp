// tecscan indices: what the solar-geomagnetic conditions were over a window.
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "tecscan/error.hpp"
#include "tecscan/indices.hpp"
#include "tecscan/ionex.hpp"

namespace tecscan::cli {

namespace {
struct IndicesArgs {
  std::vector<std::string> files;
  std::string start, end;
  bool json = false;
};

nlohmann::json extreme_json(const ExtremeValue& e) {
  nlohmann::json j;
  j["value"] = std::isfinite(e.value) ? nlohmann::json(e.value) : nlohmann::json(nullptr);
  j["time"] = std::isfinite(e.value) ? nlohmann::json(format_iso(e.time)) : nlohmann::json(nullptr);
  return j;
}

void print_extreme(const char* what, const ExtremeValue& e, const char* unit) {
  if (std::isfinite(e.value))
    std::printf("%-10s %8.3f %-4s at %s\n", what, e.value, unit, format_iso(e.time).c_str());
  else
    std::printf("%-10s      n/a (no data)\n", what);
}
}  // namespace

Command add_indices(CLI::App& app) {
  auto a = std::make_shared<IndicesArgs>();
  CLI::App* cmd = app.add_subcommand(
      "indices",
      "Summarise the solar-geomagnetic indices over a window: maximum Kp and ap, Dst extremes, "
      "maximum F10.7 and the fraction of quiet hours (Kp < 2.5, Ap < 25, -20 < Dst < 20 nT, "
      "F10.7 < 120).\nExample:\n  tecscan indices --indices data/indices/omni2_2017.dat --start "
      "2017-09-06 --end 2017-09-10 --json");
  cmd->add_option("--indices", a->files, "index files (OMNI2, GFZ, CelesTrak, Kyoto Dst)")
      ->required();
  cmd->add_option("--start", a->start, "first day or time (UTC), e.g. 2017-09-06")->required();
  cmd->add_option("--end", a->end,
                  "end (UTC, exclusive); a bare date means the end of that day, e.g. 2017-09-10")
      ->required();
  cmd->add_flag("--json", a->json, "print one JSON object instead of a table");
  return {cmd, [a] {
            TimeS start = parse_iso_time(a->start, "--start");
            TimeS end = parse_iso_time(a->end, "--end");
            if (a->end.size() == 10) end += kDay;  // a date names the whole day
            if (end <= start) throw InputError("--end must be after --start");
            std::vector<IndexFile> files;
            for (const auto& p : expand_inputs(a->files)) files.push_back(read_index_file(p));
            HourlyIndices h = build_hourly(files, start, static_cast<long>((end - start) / kHour));
            IndexSummary s = summarize_indices(h, QuietThresholds{});
            if (a->json) {
              nlohmann::json j;
              j["kp_max"] = extreme_json(s.kp_max);
              j["ap_max"] = extreme_json(s.ap_max);
              j["dst_min"] = extreme_json(s.dst_min);
              j["dst_max"] = extreme_json(s.dst_max);
              j["f107_max"] = extreme_json(s.f107_max);
              j["quiet_fraction"] = s.quiet_fraction;
              std::printf("%s\n", j.dump(2).c_str());
            } else {
              std::printf("window %s .. %s (%ld hours)\n", format_iso(start).c_str(),
                          format_iso(end).c_str(), h.nhours);
              print_extreme("Kp max", s.kp_max, "");
              print_extreme("ap max", s.ap_max, "");
              print_extreme("Dst min", s.dst_min, "nT");
              print_extreme("Dst max", s.dst_max, "nT");
              print_extreme("F10.7 max", s.f107_max, "sfu");
              std::printf("quiet hours %7.1f %%\n", 100 * s.quiet_fraction);
              for (int k = 0; k < kNumIndexKinds; ++k)
                if (h.coverage.hours_present[k] < h.coverage.hours_total)
                  std::printf("note: %s covers %ld of %ld hours\n",
                              index_name(static_cast<IndexKind>(k)), h.coverage.hours_present[k],
                              h.coverage.hours_total);
            }
            return 0;
          }};
}

}  // namespace tecscan::cli
