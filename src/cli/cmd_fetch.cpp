// tecscan fetch gim|indices|catalog: downloads the maps, the index files and the catalogue a
// study needs (docs/fetch.md); `fetch gim --archive` fills a global archive in the same step.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "tecscan/archive.hpp"
#include "tecscan/catalog.hpp"
#include "tecscan/error.hpp"
#include "tecscan/fetch.hpp"
#include "tecscan/validate.hpp"

namespace tecscan::cli {
namespace {

namespace fs = std::filesystem;

struct FetchArgs {
  // shared by every product
  std::string start, end, out, base_url, ca_file, netrc;
  int jobs = 4, retries = 4;
  double retry_wait_s = 2, stall_timeout_s = 120;
  bool quiet = false;
  // gim
  std::string provider, mirror = "cddis", archive;
  bool final_product = false, rapid = false;
  // catalog
  double min_mag = 4.5;
  std::string region;
  long page_size = 20000;
};

void add_shared_options(CLI::App* cmd, FetchArgs& a) {
  cmd->add_option("--start", a.start, "first day (YYYY-MM-DD), UTC")->required();
  cmd->add_option("--end", a.end, "last day (YYYY-MM-DD), included")->required();
  cmd->add_option("--base-url", a.base_url,
                  "a mirror with the same layout: replaces the archive root (see docs/fetch.md)");
  cmd->add_option("--jobs,-j", a.jobs, "parallel downloads (default 4)")
      ->check(in_range({1, 32, false, false, true}));
  cmd->add_option("--retries", a.retries,
                  "further attempts after a timeout, a cut or a 5xx (default 4)")
      ->check(in_range({0, 20, false, false, true}));
  cmd->add_option("--retry-wait", a.retry_wait_s,
                  "seconds before the first retry; doubles each time (default 2)")
      ->check(in_range({0, 600}));
  cmd->add_option("--timeout", a.stall_timeout_s,
                  "abort a transfer that moved no byte for this many seconds (default 120)")
      ->check(in_range({1, 3600}));
  cmd->add_option("--ca-file", a.ca_file,
                  "CA bundle for a mirror with its own certificate authority (default "
                  "$CURL_CA_BUNDLE, else the system store)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--netrc", a.netrc, "credentials file (default ~/.netrc)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--quiet,-q", a.quiet, "no progress lines (the summary is still printed)");
}

FetchOptions options_of(const FetchArgs& a) {
  FetchOptions o;
  o.jobs = a.jobs;
  o.retries = a.retries;
  o.retry_wait_s = a.retry_wait_s;
  o.stall_timeout_s = static_cast<long>(a.stall_timeout_s);
  o.ca_file = a.ca_file;
  if (o.ca_file.empty())
    if (const char* bundle = std::getenv("CURL_CA_BUNDLE")) o.ca_file = bundle;
  o.netrc_file = a.netrc;
  o.progress = !a.quiet;
  return o;
}

int64_t day_of(const std::string& text, const std::string& what) {
  const TimeS t = parse_iso_time(text, what);
  return t >= 0 ? t / kDay : (t - kDay + 1) / kDay;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The files a fetch reads: an output must never be one of them.
std::vector<std::string> fetch_inputs(const FetchArgs& a) {
  std::vector<std::string> inputs;
  for (const std::string* path : {&a.archive, &a.netrc, &a.ca_file})
    if (!path->empty()) inputs.push_back(*path);
  return inputs;
}

// Downloads never go into a scan run or a merge, nor below one: those hold one command's
// results, and nothing else writes there.
void require_outside_runs(const std::string& out) {
  std::error_code ec;
  const fs::path target = fs::absolute(out, ec).lexically_normal();
  for (fs::path dir = target; !dir.empty(); dir = dir.parent_path()) {
    const RunDirKind kind = run_dir_kind(dir.string());
    if (kind == RunDirKind::kScanRun || kind == RunDirKind::kMerge)
      throw InputError("--out " + out + ": " + (dir == target ? "is" : "lies inside") + " " +
                       run_dir_kind_name(kind) + " (" + dir.string() +
                       "); fetch writes outside it");
    if (dir == dir.parent_path()) break;
  }
}

// gim and indices: --out is a directory of downloads (created), never a file, a run, a merge
// or a batch root, and never one of the inputs.
void require_download_dir(const FetchArgs& a) {
  require_output_not_input(a.out, fetch_inputs(a), "--out");
  std::error_code ec;
  if (!a.archive.empty() &&
      fs::absolute(a.archive, ec).lexically_normal() == fs::absolute(a.out, ec).lexically_normal())
    throw InputError("--archive " + a.archive +
                     ": is also --out; the archive is a file beside the download directory");
  if (fs::exists(a.out, ec) && !fs::is_directory(a.out, ec))
    throw InputError(
        "--out " + a.out + ": a directory for the downloads was expected, found a file" +
        (fs::path(a.out).extension() == ".h5" ? " (an archive goes to --archive)" : "") +
        "; fetch never replaces a file");
  if (run_dir_kind(a.out) == RunDirKind::kBatchRoot)
    throw InputError(
        "--out " + a.out +
        ": holds a batch root (scan runs); downloads go into a directory of their own");
  require_outside_runs(a.out);
}

// catalog: --out is a new file or an earlier catalogue (replaced); any other file is refused.
void require_catalog_file(const FetchArgs& a) {
  require_output_not_input(a.out, fetch_inputs(a), "--out");
  std::error_code ec;
  if (fs::is_directory(a.out, ec))
    throw InputError("--out " + a.out +
                     ": a file for the catalogue was expected, found a directory");
  if (fs::exists(a.out, ec)) {
    try {
      read_comcat(a.out);
    } catch (const InputError& e) {
      throw InputError("--out " + a.out +
                       ": exists and is not a ComCat catalogue, which is all fetch catalog "
                       "replaces; choose another path (" +
                       e.what() + ")");
    }
  }
  require_outside_runs(a.out);
}

// Days the archive already holds: not fetched again.
std::set<int64_t> archived_days(const std::string& archive) {
  std::set<int64_t> days;
  if (archive.empty() || !std::filesystem::exists(archive)) return days;
  for (const ArchiveDay& d : read_archive_info(archive).days)
    if (d.status == DayStatus::kPresent) days.insert(d.day);
  return days;
}

int run_gim(const FetchArgs& a) {
  if (a.final_product && a.rapid) throw InputError("--final and --rapid: give one of them");
  require_download_dir(a);
  GimRequest r;
  r.provider = a.provider;
  r.latency = a.rapid ? GimLatency::kRapid : GimLatency::kFinal;
  r.mirror = a.mirror;
  r.base_url = a.base_url;
  r.first_day = day_of(a.start, "--start");
  r.last_day = day_of(a.end, "--end");
  const std::set<int64_t> skip = archived_days(a.archive);
  std::vector<FetchItem> items;
  for (FetchItem& item : gim_items(r))
    if (!skip.count(day_of(item.label, "day"))) items.push_back(std::move(item));
  if (!skip.empty())
    std::fprintf(stderr, "fetch gim: %zu of %lld days are already in %s\n",
                 static_cast<size_t>(r.last_day - r.first_day + 1) - items.size(),
                 static_cast<long long>(r.last_day - r.first_day + 1), a.archive.c_str());
  const auto start = std::chrono::steady_clock::now();
  const std::vector<FetchResult> results = fetch_files(items, a.out, options_of(a));
  require_written(results);
  write_fetch_report(results, a.out, "gim " + a.provider, seconds_since(start));
  // What arrived goes into the archive even when other days failed (the next run adds them).
  if (!a.archive.empty()) {
    std::vector<std::string> arrived;
    for (const FetchResult& f : results)
      if (f.status == FetchStatus::kDownloaded || f.status == FetchStatus::kPresent)
        arrived.push_back(f.path);
    if (!arrived.empty()) {
      ArchiveOptions o;
      o.progress = !a.quiet;
      const ArchiveReport report = write_archive(a.archive, arrived, o);
      std::fprintf(stderr, "%s %s: %ld days written, %ld filled, %zu already present\n",
                   report.created ? "wrote" : "updated", a.archive.c_str(), report.days_written,
                   report.days_filled, report.days_skipped.size());
    }
  }
  require_fetched(results);
  return 0;
}

int run_indices(const FetchArgs& a) {
  require_download_dir(a);
  const auto start = std::chrono::steady_clock::now();
  const std::vector<FetchItem> items =
      index_items(day_of(a.start, "--start"), day_of(a.end, "--end"), a.base_url);
  const std::vector<FetchResult> results = fetch_files(items, a.out, options_of(a));
  require_written(results);
  write_fetch_report(results, a.out, "indices", seconds_since(start));
  require_fetched(results);
  return 0;
}

int run_catalog(const FetchArgs& a) {
  CatalogQuery q;
  q.min_mag = a.min_mag;
  q.start = parse_iso_time(a.start, "--start");
  // A date alone as --end means up to the end of that day.
  q.end = parse_iso_time(a.end, "--end") + (a.end.size() == 10 ? kDay : 0);
  q.base_url = a.base_url;
  q.page_size = a.page_size;
  if (!a.region.empty()) {
    std::istringstream in(a.region);
    char c1 = 0, c2 = 0, c3 = 0;
    in >> q.min_lat >> c1 >> q.max_lat >> c2 >> q.min_lon >> c3 >> q.max_lon;
    if (!in || c1 != ',' || c2 != ',' || c3 != ',' || !in.eof() || q.min_lat >= q.max_lat ||
        q.min_lon >= q.max_lon || q.min_lat < -90 || q.max_lat > 90 || q.min_lon < -360 ||
        q.max_lon > 360)
      throw InputError(
          "--region: MINLAT,MAXLAT,MINLON,MAXLON in degrees (e.g. 25,40,44,63) was "
          "expected, found '" +
          a.region + "'");
    q.has_region = true;
  }
  require_catalog_file(a);
  const long events = fetch_catalog(q, a.out, options_of(a));
  std::fprintf(stderr, "fetch catalog: %ld events into %s\n", events, a.out.c_str());
  return 0;
}

}  // namespace

Command add_fetch(CLI::App& app) {
  auto a = std::make_shared<FetchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "fetch",
      "Download what a study needs: daily GIMs (NASA CDDIS with Earthdata Login, or CODE's open "
      "archive), the index files and the USGS ComCat catalogue. Parallel, retried with "
      "back-off, resumed after a cut, verified (IONEX header, index and catalogue readers, no "
      "HTML login page, the SHA-512 of CDDIS's SHA512SUMS) and renamed into place; a file "
      "already present and valid is skipped; a day the archive does not have (404) goes to the "
      "gap report. Each run writes DIR/.fetch/manifest-<time>.json (URL, size, SHA-256, the "
      "checksum check, time). --out is never an input, a file or a run.\n"
      "Examples:\n"
      "  tecscan fetch gim --provider jpl --start 2017-01-01 --end 2017-12-31 --out gim/jpl\n"
      "  tecscan fetch gim --provider cod --mirror aiub --start 2017-01-01 --end 2017-01-31 "
      "--out gim/cod --archive cod.h5\n"
      "  tecscan fetch indices --start 2017-01-01 --end 2017-12-31 --out indices\n"
      "  tecscan fetch catalog --min-mag 6 --start 2000-01-01 --end 2025-12-31 --out m6.csv\n"
      "Providers, layouts, Earthdata Login and mirrors: docs/fetch.md");
  cmd->require_subcommand(1);

  CLI::App* gim = cmd->add_subcommand("gim", "daily Global Ionospheric Maps of one product");
  gim->add_option("--provider", a->provider, "cod, igs, jpl, esa or upc")->required();
  gim->add_flag("--final", a->final_product, "the final product (default)");
  gim->add_flag("--rapid", a->rapid, "the rapid product");
  gim->add_option("--mirror", a->mirror,
                  "cddis (default; Earthdata Login) or aiub (CODE's archive in Bern, no login, "
                  "--provider cod --final only)");
  gim->add_option("--out,-o", a->out, "directory for the daily files (created)")->required();
  gim->add_option("--archive", a->archive,
                  "then add what arrived to this global archive (tecscan archive); days it "
                  "already holds are not fetched");
  add_shared_options(gim, *a);

  CLI::App* indices = cmd->add_subcommand(
      "indices", "GFZ Kp/ap/Ap/SN/F10.7, OMNI2 yearly files, CelesTrak SW-All, Kyoto Dst");
  indices->add_option("--out,-o", a->out, "directory for the index files (created)")->required();
  add_shared_options(indices, *a);

  CLI::App* catalog =
      cmd->add_subcommand("catalog", "USGS ComCat events (FDSN event service) as one CSV");
  catalog->add_option("--min-mag", a->min_mag, "smallest magnitude (default 4.5)")
      ->check(in_range(kMagnitudeRange));
  catalog->add_option("--region", a->region, "MINLAT,MAXLAT,MINLON,MAXLON in degrees");
  catalog
      ->add_option("--page-size", a->page_size,
                   "rows per query (the service allows at most 20000, the default)")
      ->check(in_range({1, 20000, false, false, true}));
  catalog
      ->add_option("--out,-o", a->out,
                   "the CSV (written atomically; replaces only an earlier catalogue)")
      ->required();
  add_shared_options(catalog, *a);

  return {cmd, [a, gim, indices, catalog] {
            if (gim->parsed()) return run_gim(*a);
            if (indices->parsed()) return run_indices(*a);
            if (catalog->parsed()) return run_catalog(*a);
            throw InputError("tecscan fetch: give gim, indices or catalog (see --help)");
          }};
}

}  // namespace tecscan::cli
