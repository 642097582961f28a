#include "ingest_args.hpp"

#include "tecscan/error.hpp"

namespace tecscan::cli {

IngestOptions IngestArgs::resolved() const {
  IngestOptions o = opt;
  if (radius == "dobrovolsky") {
    o.dobrovolsky = true;
  } else {
    try {
      size_t used = 0;
      o.radius_km = std::stod(radius, &used);
      if (used != radius.size()) throw std::invalid_argument(radius);
    } catch (const std::exception&) {
      throw InputError("--radius: expected a distance in km (e.g. 2000) or 'dobrovolsky', got '" +
                       radius + "'");
    }
  }
  return o;
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
                 "search radius: km (great circle) or 'dobrovolsky' for 10^(0.43 M) km")
      ->default_val("2000")
      ->group("Region");
  cmd.add_option("--days-before", a.opt.days_before, "days of data before the event")
      ->default_val(60)
      ->group("Region");
  cmd.add_option("--days-after", a.opt.days_after, "days of data after the event")
      ->default_val(7)
      ->group("Region");
}

}  // namespace tecscan::cli
