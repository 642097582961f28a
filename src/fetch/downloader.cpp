// The downloader of `tecscan fetch`: candidates per item, skip of valid files present,
// verification before an atomic rename into place, bounded parallelism, manifest and gaps.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "tecscan/atomic_file.hpp"
#include "tecscan/catalog.hpp"
#include "tecscan/error.hpp"
#include "tecscan/fetch.hpp"
#include "tecscan/fetch_checksums.hpp"
#include "tecscan/fetch_http.hpp"
#include "tecscan/indices.hpp"
#include "tecscan/ionex.hpp"
#include "tecscan/parallel.hpp"
#include "tecscan/progress.hpp"
#include "tecscan/sha256.hpp"

namespace fs = std::filesystem;

namespace tecscan {
namespace {

std::string remote_name(const std::string& url) {
  std::string name = url.substr(url.find_last_of('/') + 1);
  return name.substr(0, name.find_first_of("?#"));
}

std::string now_iso() {
  return format_iso(static_cast<TimeS>(std::time(nullptr)));
}

// Empty when the file is what `kind` says, else why not (the reader's own message).
std::string verify(const std::string& path, FileKind kind) {
  try {
    switch (kind) {
      case FileKind::kIonex:
        parse_ionex(read_file_decompressed(path), path);
        break;
      case FileKind::kIndex:
        read_index_file(path);
        break;
      case FileKind::kCatalog:
        read_comcat(path);
        break;
    }
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

void record_file(FetchResult& r, const std::string& url, const std::string& path,
                 FetchStatus status) {
  r.url = url;
  r.path = path;
  r.status = status;
  r.sha256 = sha256_file(path, &r.bytes);
  r.time = now_iso();
}

// What became of one candidate URL.
enum class UrlStep { kNotFound, kDone };

// Downloads one candidate into its part file, verifies it (content, then the published
// SHA-512) and renames it into place; fills r unless the URL does not exist.
UrlStep fetch_url(const FetchItem& item, const std::string& url, const std::string& out_dir,
                  const std::string& state_dir, const HttpSession& session,
                  PublishedChecksums& checksums, FetchResult& r) {
  const std::string name = remote_name(url);
  const std::string part = state_dir + "/" + name + ".part";
  std::error_code ignored;
  r.checksum = kChecksumNotLookedUp;
  // A mismatch with the published SHA-512 may come from a part resumed onto a file the archive
  // has since replaced: one more download from the first byte settles it.
  for (int download = 0; download < 2; ++download) {
    const UrlResult u = session.download(url, part);
    if (u.outcome != UrlOutcome::kOk && fs::exists(part) && fs::file_size(part, ignored) == 0)
      fs::remove(part, ignored);  // nothing arrived: no part to resume
    if (u.outcome == UrlOutcome::kNotFound) return UrlStep::kNotFound;
    r.url = url;
    if (u.outcome == UrlOutcome::kWriteFailed) {
      r.path = part;
      r.write_error = u.write_errno != 0 ? u.write_errno : -1;
      r.message = u.message;
      return UrlStep::kDone;
    }
    if (u.outcome != UrlOutcome::kOk) {
      r.message = u.message;
      r.login_refused = u.outcome == UrlOutcome::kLoginRefused;
      r.login_host = u.login_host;
      return UrlStep::kDone;
    }
    const std::string why = verify(part, item.kind);
    if (!why.empty()) {
      fs::remove(part, ignored);  // corrupt: the next run downloads it afresh, not resumed
      r.message = url + ": the file that arrived is not valid: " + why;
      return UrlStep::kDone;
    }
    if (item.sha512sums) {
      const PublishedChecksum published = checksums.lookup(url);
      switch (published.state) {
        case PublishedChecksum::State::kListed: {
          const std::string arrived = sha512_file(part);
          if (arrived != published.sha512) {
            fs::remove(part, ignored);
            r.checksum = kChecksumMismatch;
            r.message = url + ": " + name + " does not match its SHA-512 in " + published.list_url +
                        " (published " + published.sha512.substr(0, 16) + "..., arrived " +
                        arrived.substr(0, 16) + "...)" +
                        (download == 0 ? "" : ", also when downloaded again from the first byte");
            continue;
          }
          r.sha512 = arrived;
          r.checksum = kChecksumOk;
          break;
        }
        case PublishedChecksum::State::kNotListed:
          r.checksum = kChecksumNotListed;
          break;
        case PublishedChecksum::State::kNonePublished:
          r.checksum = kChecksumNonePublished;
          break;
        case PublishedChecksum::State::kUnavailable:
          r.checksum = kChecksumUnavailable;
          r.message = published.list_url + ": " + published.message;
          break;
      }
    }
    const std::string path = out_dir + "/" + name;
    std::error_code renamed;
    fs::rename(part, path, renamed);
    if (renamed) {
      r.path = path;
      r.write_error = renamed.value();
      r.message = path + ": cannot put the download in place (" + renamed.message() + ")";
      return UrlStep::kDone;
    }
    record_file(r, url, path, FetchStatus::kDownloaded);
    return UrlStep::kDone;
  }
  return UrlStep::kDone;  // the SHA-512 did not match twice: r says so, status failed
}

FetchResult fetch_item(const FetchItem& item, const std::string& out_dir,
                       const std::string& state_dir, const HttpSession& session,
                       PublishedChecksums& checksums) {
  FetchResult r;
  r.label = item.label;
  r.optional = item.optional;
  for (const std::string& url : item.urls) {
    const std::string path = out_dir + "/" + remote_name(url);
    if (fs::is_regular_file(path) && verify(path, item.kind).empty()) {
      record_file(r, url, path, FetchStatus::kPresent);
      r.checksum = kChecksumNotLookedUp;  // checked, where published, when it was downloaded
      return r;
    }
  }
  std::string not_found;
  for (const std::string& url : item.urls) {
    if (fetch_url(item, url, out_dir, state_dir, session, checksums, r) == UrlStep::kDone) return r;
    not_found += (not_found.empty() ? "" : ", ") + remote_name(url);
  }
  r.status = FetchStatus::kMissing;
  r.url = item.urls.empty() ? "" : item.urls.front();
  r.message = "not in the archive (HTTP 404 for " + not_found + ")";
  return r;
}

// A CSV field in quotes, inner quotes doubled (RFC 4180).
std::string csv_field(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string file_stamp() {
  std::string stamp = now_iso();  // 2026-12-03T21:00:00Z -> 20261203T210000Z
  std::string compact;
  for (char c : stamp)
    if (c != '-' && c != ':') compact += c;
  return compact;
}

}  // namespace

const char* fetch_status_name(FetchStatus s) {
  switch (s) {
    case FetchStatus::kDownloaded:
      return "downloaded";
    case FetchStatus::kPresent:
      return "present";
    case FetchStatus::kMissing:
      return "missing";
    case FetchStatus::kFailed:
      break;
  }
  return "failed";
}

std::vector<FetchResult> fetch_files(const std::vector<FetchItem>& items,
                                     const std::string& out_dir, const FetchOptions& o) {
  const std::string state_dir = out_dir + "/.fetch";
  std::error_code error;
  fs::create_directories(state_dir, error);
  if (error || !fs::is_directory(out_dir))
    throw InputError(out_dir, 0,
                     "a directory that can be created for the downloads (" + error.message() + ")");
  HttpSession session(o);
  PublishedChecksums checksums(session, state_dir);
  std::vector<FetchResult> results(items.size());
  Progress progress("fetch", static_cast<long>(items.size()), !o.progress || items.empty());
  parallel_for(items.size(), o.jobs, [&](size_t i) {
    results[i] = fetch_item(items[i], out_dir, state_dir, session, checksums);
    if (results[i].status == FetchStatus::kDownloaded)
      progress.add_bytes(static_cast<long long>(results[i].bytes));
    progress.advance();
  });
  progress.finish();
  return results;
}

std::string write_fetch_report(const std::vector<FetchResult>& results, const std::string& out_dir,
                               const std::string& what, double seconds) {
  const std::string stamp = file_stamp();
  nlohmann::json files = nlohmann::json::array();
  std::string gaps = "label,url,reason\n";
  long counts[4] = {};
  uint64_t bytes_downloaded = 0;
  for (const FetchResult& r : results) {
    ++counts[static_cast<int>(r.status)];
    if (r.status == FetchStatus::kDownloaded) bytes_downloaded += r.bytes;
    files.push_back({{"label", r.label},
                     {"status", fetch_status_name(r.status)},
                     {"url", r.url},
                     {"path", r.path},
                     {"bytes", r.bytes},
                     {"sha256", r.sha256},
                     {"sha512", r.sha512},
                     {"checksum", r.checksum},
                     {"time", r.time},
                     {"message", r.message}});
    if (r.status == FetchStatus::kMissing || r.status == FetchStatus::kFailed)
      gaps += csv_field(r.label) + "," + csv_field(r.url) + "," + csv_field(r.message) + "\n";
  }
  const std::string state_dir = out_dir + "/.fetch";
  const std::string manifest = state_dir + "/manifest-" + stamp + ".json";
  nlohmann::json doc = {{"tool", "tecscan " TECSCAN_VERSION},
                        {"what", what},
                        {"finished", now_iso()},
                        {"seconds", seconds},
                        {"files", files}};
  write_file_atomic(manifest, doc.dump(1) + "\n");
  const bool has_gaps = counts[static_cast<int>(FetchStatus::kMissing)] +
                            counts[static_cast<int>(FetchStatus::kFailed)] >
                        0;
  const std::string gap_report = state_dir + "/gaps-" + stamp + ".csv";
  if (has_gaps) write_file_atomic(gap_report, gaps);
  const double megabytes = static_cast<double>(bytes_downloaded) / (1024.0 * 1024.0);
  std::fprintf(stderr,
               "fetch %s: %ld downloaded (%.1f MB, %.2f MB/s), %ld already present, %ld missing "
               "(404), %ld failed; manifest %s%s%s\n",
               what.c_str(), counts[0], megabytes, seconds > 0 ? megabytes / seconds : 0.0,
               counts[1], counts[2], counts[3], manifest.c_str(), has_gaps ? ", gap report " : "",
               has_gaps ? gap_report.c_str() : "");
  for (const FetchResult& r : results)
    if (r.status == FetchStatus::kMissing || r.status == FetchStatus::kFailed)
      std::fprintf(stderr, "%s %s: %s\n", fetch_status_name(r.status), r.label.c_str(),
                   r.message.c_str());
  return manifest;
}

void require_written(const std::vector<FetchResult>& results) {
  for (const FetchResult& r : results)
    if (r.write_error != 0)
      throw_write_failure(r.path, "the download of " + r.url, r.write_error > 0 ? r.write_error : 0,
                          " (" + r.message + ")");
}

void require_fetched(const std::vector<FetchResult>& results) {
  const FetchResult* login = nullptr;
  const FetchResult* failure = nullptr;
  long failed = 0;
  for (const FetchResult& r : results) {
    if (r.optional || r.status != FetchStatus::kFailed) continue;
    ++failed;
    if (r.login_refused && !login) login = &r;
    if (!failure) failure = &r;
  }
  if (login)
    throw InputError(login->url, 0,
                     login->login_host +
                         " wants a login that .netrc does not give: add a line `machine " +
                         login->login_host +
                         " login USER password PASSWORD` to ~/.netrc (or to the --netrc file); "
                         "CDDIS needs a free Earthdata Login account (docs/fetch.md)");
  if (failure)
    throw std::runtime_error(std::to_string(failed) + " of " + std::to_string(results.size()) +
                             " files could not be fetched; the first: " + failure->message +
                             " (run again to resume)");
}

}  // namespace tecscan
