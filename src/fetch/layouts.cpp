// Where each product lives: GIM file names per provider and date (docs/fetch.md gives the
// dates and their sources), the index files, the FDSN event query.
#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "tecscan/error.hpp"
#include "tecscan/fetch.hpp"
#include "tecscan/fetch_http.hpp"

namespace tecscan {
namespace {

struct Provider {
  const char* name;
  const char* short_final;  // legacy 4-character product code, final and rapid
  const char* short_rapid;
  const char* long_code;  // IGS long-name analysis centre
  const char* sampling;   // the map interval of its long-name product
};

// Short codes: CDDIS ionex archive listings; long-name sampling: docs/fetch.md (ESA and UPC
// unconfirmed, so the other sampling is tried too).
const Provider kProviders[] = {
    {"cod", "codg", "corg", "COD", "01H"}, {"igs", "igsg", "igrg", "IGS", "02H"},
    {"jpl", "jplg", "jprg", "JPL", "02H"}, {"esa", "esag", "esrg", "ESA", "02H"},
    {"upc", "upcg", "uprg", "UPC", "02H"},
};

const char* const kCddisRoot = "https://cddis.nasa.gov/archive/gnss/products/ionex";
const char* const kAiubRoot = "http://ftp.aiub.unibe.ch/CODE";

// IGS long product names for the ionosphere from GPS week 2238 (2022-11-27) on.
int64_t long_names_from() {
  return days_from_civil(1980, 1, 6) + 2238 * 7;
}
// IGS data centres publish gzip instead of Unix compress from 2020-12-01 on.
int64_t gzip_from() {
  return days_from_civil(2020, 12, 1);
}

const Provider& find_provider(const std::string& name) {
  for (const Provider& p : kProviders)
    if (name == p.name) return p;
  std::string known;
  for (const Provider& p : kProviders) known += std::string(known.empty() ? "" : ", ") + p.name;
  throw InputError("--provider: one of " + known + " was expected, found '" + name + "'");
}

struct DayParts {
  int year, doy;
};

DayParts day_parts(int64_t day) {
  const TimeS t = day * kDay;
  return {std::stoi(format_date(t).substr(0, 4)), day_of_year(t)};
}

// Legacy name, e.g. jplg3260.00i.Z (CDDIS) or CODG3260.00I.Z (CODE's archive).
std::string short_name(const char* code, DayParts d, bool upper, const char* compression) {
  char name[64];
  std::snprintf(name, sizeof name, "%s%03d0.%02di", code, d.doy, d.year % 100);
  std::string s = name;
  if (upper)
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s + compression;
}

std::string long_name(const Provider& p, bool final_product, DayParts d, const char* sampling) {
  char name[96];
  std::snprintf(name, sizeof name, "%s0OPS%s_%04d%03d0000_01D_%s_GIM.INX.gz", p.long_code,
                final_product ? "FIN" : "RAP", d.year, d.doy, sampling);
  return name;
}

std::string root_of(const GimRequest& r) {
  std::string root =
      r.base_url.empty() ? (r.mirror == "aiub" ? kAiubRoot : kCddisRoot) : r.base_url;
  while (!root.empty() && root.back() == '/') root.pop_back();
  return root;
}

std::string with_base(const std::string& url, const std::string& base_url) {
  if (base_url.empty()) return url;
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + url.substr(url_origin(url).size());
}

std::string two_digits(int v) {
  char s[8];
  std::snprintf(s, sizeof s, "%02d", v);
  return s;
}

}  // namespace

std::vector<std::string> gim_providers() {
  std::vector<std::string> names;
  for (const Provider& p : kProviders) names.push_back(p.name);
  return names;
}

std::vector<std::string> gim_file_names(const GimRequest& r, int64_t day) {
  const Provider& p = find_provider(r.provider);
  const bool final_product = r.latency == GimLatency::kFinal;
  const DayParts d = day_parts(day);
  const char* other_sampling = std::string(p.sampling) == "01H" ? "02H" : "01H";
  std::vector<std::string> names;
  if (r.mirror == "aiub") {
    if (p.long_code != std::string("COD") || !final_product)
      throw InputError(
          "--mirror aiub: CODE's archive carries the final CODE maps only "
          "(--provider cod --final), found --provider " +
          r.provider + (final_product ? "" : " --rapid"));
    if (day >= long_names_from()) names.push_back(long_name(p, true, d, p.sampling));
    names.push_back(short_name(p.short_final, d, true, ".Z"));
    names.push_back(short_name(p.short_final, d, true, ".gz"));
    return names;
  }
  if (r.mirror != "cddis")
    throw InputError("--mirror: cddis or aiub was expected, found '" + r.mirror + "'");
  const char* code = final_product ? p.short_final : p.short_rapid;
  if (day >= long_names_from()) {
    names.push_back(long_name(p, final_product, d, p.sampling));
    names.push_back(long_name(p, final_product, d, other_sampling));
  }
  if (day >= gzip_from()) {
    names.push_back(short_name(code, d, false, ".gz"));
    names.push_back(short_name(code, d, false, ".Z"));
  } else {
    names.push_back(short_name(code, d, false, ".Z"));
    names.push_back(short_name(code, d, false, ".gz"));
  }
  return names;
}

std::vector<FetchItem> gim_items(const GimRequest& r) {
  if (r.last_day < r.first_day)
    throw InputError("--end: a date on or after --start was expected, found " +
                     format_date(r.last_day * kDay) + " before " + format_date(r.first_day * kDay));
  const std::string root = root_of(r);
  std::vector<FetchItem> items;
  for (int64_t day = r.first_day; day <= r.last_day; ++day) {
    const DayParts d = day_parts(day);
    char dir[32];
    if (r.mirror == "aiub")
      std::snprintf(dir, sizeof dir, "/%04d/", d.year);
    else
      std::snprintf(dir, sizeof dir, "/%04d/%03d/", d.year, d.doy);
    FetchItem item;
    item.label = format_date(day * kDay);
    item.kind = FileKind::kIonex;
    item.sha512sums = r.mirror == "cddis";  // CDDIS lists SHA512SUMS per directory
    for (const std::string& name : gim_file_names(r, day)) item.urls.push_back(root + dir + name);
    items.push_back(item);
  }
  return items;
}

std::vector<FetchItem> index_items(int64_t first_day, int64_t last_day,
                                   const std::string& base_url) {
  if (last_day < first_day)
    throw InputError("--end: a date on or after --start was expected, found " +
                     format_date(last_day * kDay) + " before " + format_date(first_day * kDay));
  std::vector<FetchItem> items;
  auto add = [&](const std::string& label, std::vector<std::string> urls, bool optional) {
    for (std::string& u : urls) u = with_base(u, base_url);
    items.push_back({label, urls, FileKind::kIndex, optional});
  };
  add("gfz kp/ap/Ap/SN/F10.7",
      {"https://kp.gfz-potsdam.de/app/files/Kp_ap_Ap_SN_F107_since_1932.txt"}, false);
  add("celestrak SW-All", {"https://celestrak.org/SpaceData/SW-All.txt"}, false);
  const int first_year = day_parts(first_day).year, last_year = day_parts(last_day).year;
  for (int year = first_year; year <= last_year; ++year)
    add("omni2 " + std::to_string(year),
        {"https://spdf.gsfc.nasa.gov/pub/data/omni/low_res_omni/omni2_" + std::to_string(year) +
         ".dat"},
        false);
  // Kyoto WDC Dst by month: final, else provisional, else real-time ("where reachable").
  auto month_index = [](int64_t day) {
    const std::string date = format_date(day * kDay);
    return std::stoi(date.substr(0, 4)) * 12 + std::stoi(date.substr(5, 2)) - 1;
  };
  for (int m = month_index(first_day); m <= month_index(last_day); ++m) {
    const int year = m / 12, month = m % 12 + 1;
    const std::string yyyymm = std::to_string(year) + two_digits(month);
    const std::string file = "dst" + two_digits(year % 100) + two_digits(month) + ".for.request";
    std::vector<std::string> urls;
    for (const char* stage : {"dst_final", "dst_provisional", "dst_realtime"})
      urls.push_back(std::string("https://wdc.kugi.kyoto-u.ac.jp/") + stage + "/" + yyyymm + "/" +
                     file);
    add("kyoto dst " + yyyymm, urls, true);
  }
  return items;
}

std::string catalog_page_url(const CatalogQuery& q, long offset) {
  auto iso = [](TimeS t) {
    std::string s = format_iso(t);
    return s.substr(0, s.size() - 1);  // the service reads times as UTC without the Z
  };
  char magnitude[32];
  std::snprintf(magnitude, sizeof magnitude, "%g", q.min_mag);
  std::string url = with_base("https://earthquake.usgs.gov/fdsnws/event/1/query", q.base_url) +
                    "?format=csv&orderby=time-asc&starttime=" + iso(q.start) +
                    "&endtime=" + iso(q.end) + "&minmagnitude=" + magnitude +
                    "&limit=" + std::to_string(q.page_size) + "&offset=" + std::to_string(offset);
  if (q.has_region) {
    char region[160];
    std::snprintf(region, sizeof region,
                  "&minlatitude=%g&maxlatitude=%g&minlongitude=%g&maxlongitude=%g", q.min_lat,
                  q.max_lat, q.min_lon, q.max_lon);
    url += region;
  }
  return url;
}

}  // namespace tecscan
