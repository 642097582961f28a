// `tecscan fetch`: brings daily GIMs, index files and the ComCat catalogue over HTTP(S)
// (libcurl) with bounded parallelism, retries with back-off, resume, verification, atomic
// rename into place and a per-run manifest. Providers, layouts and their dates: docs/fetch.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tecscan/time.hpp"

namespace tecscan {

// How downloads are made and retried.
struct FetchOptions {
  int jobs = 4;             // parallel downloads
  int retries = 4;          // further attempts after a timeout, a cut connection or a 5xx
  double retry_wait_s = 2;  // the first back-off; it doubles with each attempt
  long connect_timeout_s = 30;
  long stall_timeout_s = 120;  // abort a transfer that moved no byte for this long
  std::string ca_file;         // CA bundle of a mirror with its own CA ("" = the system store)
  std::string netrc_file;      // credentials ("" = ~/.netrc)
  bool progress = true;
};

// What a downloaded file must be before it is put in place.
enum class FileKind {
  kIonex,    // a gzip/compress stream or plain text whose IONEX header parses
  kIndex,    // an index file the index readers accept
  kCatalog,  // a ComCat CSV the catalogue reader accepts
};

// One file to fetch. The candidate URLs are tried in order (naming schemes over time, final
// before provisional): the first that exists lands in the output directory under its remote
// name. An optional item that cannot be fetched is reported, never fatal.
struct FetchItem {
  std::string label;  // what it is, e.g. "2017-01-01" or "omni2 2017"
  std::vector<std::string> urls;
  FileKind kind = FileKind::kIonex;
  bool optional = false;
  // The archive publishes a SHA512SUMS list in each file's directory (CDDIS): a file that
  // arrived is checked against it (docs/fetch.md, "What is verified").
  bool sha512sums = false;
};

enum class FetchStatus { kDownloaded, kPresent, kMissing, kFailed };
const char* fetch_status_name(FetchStatus s);  // "downloaded", "present", "missing", "failed"

struct FetchResult {
  std::string label, url, path;  // the URL that answered, the file on disk
  FetchStatus status = FetchStatus::kFailed;
  uint64_t bytes = 0;
  std::string sha256;    // of the file on disk (hex)
  std::string sha512;    // of the file on disk (hex), where it was checked against a list
  std::string checksum;  // the published-checksum check: "sha512 ok", "none published", ...
  std::string time;      // UTC when it was verified in place
  std::string message;   // why it is missing or failed
  bool login_refused = false;
  std::string login_host;  // the host that asked for credentials
  bool optional = false;   // from the item: a failure is reported, not fatal
  int write_error = 0;     // a local write failed (errno; -1 when unknown): path is that file
};

// The values of FetchResult::checksum (docs/fetch.md lists them).
inline constexpr const char* kChecksumOk = "sha512 ok";                  // matches the list
inline constexpr const char* kChecksumNonePublished = "none published";  // no SHA512SUMS (404)
inline constexpr const char* kChecksumNotListed = "not listed";          // the list lacks it
inline constexpr const char* kChecksumUnavailable = "list unavailable";  // could not be fetched
inline constexpr const char* kChecksumMismatch = "sha512 mismatch";      // refused
// A source without lists, or a file already in the directory (checked when downloaded).
inline constexpr const char* kChecksumNotLookedUp = "not looked up";

// Fetches every item into out_dir (created when missing). Partial downloads live in
// out_dir/.fetch/NAME.part and are resumed by the next attempt or run; a file is verified
// (FileKind, and its published SHA-512 where the item says so: a mismatch is downloaded once
// more from the first byte, then failed) before it is renamed into place; a file already
// present and valid is skipped. One result per item, in order; a single file's failure never
// throws.
std::vector<FetchResult> fetch_files(const std::vector<FetchItem>& items,
                                     const std::string& out_dir, const FetchOptions& o);

// Writes out_dir/.fetch/manifest-<UTC time>.json (URL, path, status, size, SHA-256, time of
// every item) and, when something is missing or failed, gaps-<UTC time>.csv; prints a summary
// line and one line per missing or failed item to stderr. Returns the manifest's path.
std::string write_fetch_report(const std::vector<FetchResult>& results, const std::string& out_dir,
                               const std::string& what, double seconds);

// Throws InputError (exit 2) naming the file and the OS reason when a download could not be
// written here (a full or read-only disk): the user frees space or writes elsewhere, and no
// manifest is attempted on that disk.
void require_written(const std::vector<FetchResult>& results);

// Throws InputError when a login was refused (naming the .netrc line to add) and
// std::runtime_error when a required item failed; a missing (404) day is not an error.
void require_fetched(const std::vector<FetchResult>& results);

// ---- GIM layouts ------------------------------------------------------------------------------

enum class GimLatency { kFinal, kRapid };

struct GimRequest {
  std::string provider = "jpl";  // cod, igs, jpl, esa, upc (gim_providers())
  GimLatency latency = GimLatency::kFinal;
  std::string mirror = "cddis";         // cddis (Earthdata Login) or aiub (CODE's open archive)
  std::string base_url;                 // replaces the mirror's root ("" = the real one)
  int64_t first_day = 0, last_day = 0;  // days since 1970-01-01, inclusive
};

std::vector<std::string> gim_providers();
// Remote file names for one UTC day, the expected one first (docs/fetch.md has the dates).
// Throws InputError for an unknown provider or a product a mirror does not carry.
std::vector<std::string> gim_file_names(const GimRequest& r, int64_t day);
// One item per day with the full candidate URLs.
std::vector<FetchItem> gim_items(const GimRequest& r);

// ---- indices and the catalogue ----------------------------------------------------------------

// GFZ Kp/ap/Ap/SN/F10.7, OMNI2 yearly files, CelesTrak SW-All and (optional) Kyoto Dst for
// the months of [first_day, last_day]. base_url replaces every source's scheme and host.
std::vector<FetchItem> index_items(int64_t first_day, int64_t last_day,
                                   const std::string& base_url = "");

struct CatalogQuery {
  double min_mag = 4.5;
  TimeS start = 0, end = 0;  // [start, end)
  bool has_region = false;
  double min_lat = -90, max_lat = 90, min_lon = -180, max_lon = 180;
  std::string base_url;    // replaces https://earthquake.usgs.gov
  long page_size = 20000;  // the FDSN service's row limit per query
};

// The FDSN event query URL of one page (offset counts rows from 1).
std::string catalog_page_url(const CatalogQuery& q, long offset);
// Pages through the service into one ComCat CSV at out_csv (written atomically, verified with
// the catalogue reader); returns the number of events.
long fetch_catalog(const CatalogQuery& q, const std::string& out_csv, const FetchOptions& o);

}  // namespace tecscan
