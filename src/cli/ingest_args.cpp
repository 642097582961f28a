#include "ingest_args.hpp"

#include "commands.hpp"
#include "tecscan/error.hpp"
#include "tecscan/ionex.hpp"
#include "tecscan/validate.hpp"

namespace tecscan::cli {

IngestOptions IngestArgs::resolved() const {
  IngestOptions o = opt;
  if (radius == "dobrovolsky")
    o.dobrovolsky = true;
  else
    o.radius_km = parse_number_in(radius, kRadiusKmRange, "--radius");
  if (!o.catalog.empty()) require_regular_file(o.catalog, "a ComCat CSV catalogue (--catalog)");
  if (!o.archive.empty())
    require_regular_file(o.archive, "an archive written by tecscan archive (--archive)");
  return o;
}

std::vector<std::string> ingest_input_paths(const IngestOptions& o) {
  std::vector<std::string> paths = o.ionex;
  paths.insert(paths.end(), o.indices.begin(), o.indices.end());
  for (const std::vector<std::string>* given : {&o.ionex, &o.indices}) {
    const std::vector<std::string> files = expand_inputs(*given);
    paths.insert(paths.end(), files.begin(), files.end());
  }
  for (const std::string& file : {o.catalog, o.archive})
    if (!file.empty()) paths.push_back(file);
  return paths;
}

void add_ingest_options(CLI::App& cmd, IngestArgs& a) {
  CLI::Option* ionex =
      cmd.add_option("--ionex", a.opt.ionex,
                     "IONEX daily files, directories or globs (plain, .Z or .gz, detected by "
                     "content), e.g. data/ionex/jpl-2000-2001")
          ->group("Inputs");
  cmd.add_option("--archive", a.opt.archive,
                 "or a global archive from `tecscan archive` (instead of --ionex): only the "
                 "region's latitude rows of the event window are read")
      ->excludes(ionex)
      ->group("Inputs");
  cmd.add_option("--indices", a.opt.indices,
                 "index files: OMNI2 hourly, GFZ Kp_ap_Ap_SN_F107, CelesTrak SW-All.txt, Kyoto "
                 "Dst (format detected; earlier files win where they overlap)")
      ->group("Inputs");
  cmd.add_option("--catalog", a.opt.catalog,
                 "USGS ComCat CSV holding the event (scan: without --event-id, batch mode: the "
                 "--event-index-th event of the selection)")
      ->group("Event");
  cmd.add_option("--event-id", a.opt.event_id, "ComCat event id, e.g. us2000bmcg")->group("Event");
  cmd.add_option("--event", a.opt.event_spec,
                 "or the event itself: TIME,LAT,LON[,MAG[,DEPTH_KM]], e.g. "
                 "2001-01-13T17:33:32Z,13.049,-88.660,7.7")
      ->group("Event");
  cmd.add_option("--radius,--radius-km", a.radius,
                 "search radius: km (great circle, (0, 20016]) or 'dobrovolsky' for 10^(0.43 M) km")
      ->default_val("2000")
      ->group("Region");
  cmd.add_option("--days-before", a.opt.days_before, "days of data before the event")
      ->default_val(60)
      ->check(in_range(kDaysRange))
      ->group("Region");
  cmd.add_option("--days-after", a.opt.days_after, "days of data after the event")
      ->default_val(7)
      ->check(in_range(kDaysRange))
      ->group("Region");
}

}  // namespace tecscan::cli
