// `tecscan fetch catalog`: the USGS ComCat FDSN event service, paged through its row limit,
// into one CSV in the format the catalogue reader accepts.
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "tecscan/atomic_file.hpp"
#include "tecscan/catalog.hpp"
#include "tecscan/error.hpp"
#include "tecscan/fetch.hpp"
#include "tecscan/fetch_http.hpp"

namespace tecscan {
namespace {

// The service's CSV header, for a query that matches no event (HTTP 204, no body).
const char* const kComcatHeader =
    "time,latitude,longitude,depth,mag,magType,nst,gap,dmin,rms,net,id,updated,place,type,"
    "horizontalError,depthError,magError,magNst,status,locationSource,magSource";

constexpr long kServiceRowLimit = 20000;

std::string read_all(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot read " + path);
  std::string text;
  char buffer[1 << 16];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) text.append(buffer, n);
  std::fclose(f);
  return text;
}

}  // namespace

long fetch_catalog(const CatalogQuery& q, const std::string& out_csv, const FetchOptions& o) {
  if (q.page_size < 1 || q.page_size > kServiceRowLimit)
    throw InputError("--page-size: 1..20000 rows (the service's limit) was expected, found " +
                     std::to_string(q.page_size));
  if (q.end <= q.start)
    throw InputError("--end: a time after --start was expected, found " + format_iso(q.end) +
                     " <= " + format_iso(q.start));
  AtomicFile out(out_csv);
  const std::string part = out.temp_path() + ".page";
  HttpSession session(o);
  std::string header, rows_text;
  long rows = 0;
  for (long offset = 1;; offset += q.page_size) {
    std::filesystem::remove(part);
    const std::string url = catalog_page_url(q, offset);
    const UrlResult u = session.download(url, part);
    if (u.outcome == UrlOutcome::kLoginRefused)
      throw InputError(url, 0, u.message + ": the event service needs no login");
    if (u.outcome != UrlOutcome::kOk) {
      std::filesystem::remove(part);
      if (u.outcome == UrlOutcome::kWriteFailed)
        throw_write_failure(out_csv, "a page of the catalogue (" + part + ")", u.write_errno);
      throw std::runtime_error(
          u.outcome == UrlOutcome::kNotFound ? u.message + " (no event service there)" : u.message);
    }
    std::istringstream page(read_all(part));
    std::filesystem::remove(part);
    std::string line, page_header;
    long page_rows = 0;
    while (std::getline(page, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      if (page_header.empty()) {
        page_header = line;
        continue;
      }
      rows_text += line + "\n";
      ++page_rows;
    }
    if (!page_header.empty() && !header.empty() && page_header != header)
      throw std::runtime_error(url + ": the CSV header changed between pages");
    if (header.empty()) header = page_header;
    rows += page_rows;
    if (o.progress)
      std::fprintf(stderr, "fetch catalog: rows %ld..%ld: %ld events\n", offset,
                   offset + q.page_size - 1, page_rows);
    if (page_rows < q.page_size) break;
  }
  if (header.empty()) header = kComcatHeader;
  {
    FILE* f = std::fopen(out.temp_path().c_str(), "wb");
    if (!f) throw_write_failure(out_csv, "the catalogue", errno);
    const std::string text = header + "\n" + rows_text;
    const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    const int write_errno = errno;
    const bool closed = std::fclose(f) == 0;
    if (!written || !closed)
      throw_write_failure(out_csv, "the catalogue", written ? errno : write_errno);
  }
  try {
    read_comcat(out.temp_path());
  } catch (const InputError& e) {
    throw std::runtime_error(std::string("the event service's answer is not a ComCat CSV: ") +
                             e.what());
  }
  out.commit();
  return rows;
}

}  // namespace tecscan
