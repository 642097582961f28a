#include "tecscan/time.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "tecscan/error.hpp"

namespace tecscan {

int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (m <= 2));
}

TimeS make_time(int y, int mo, int d, int h, int mi, double s) {
  return days_from_civil(y, mo, d) * kDay + h * kHour + mi * 60 + static_cast<TimeS>(std::floor(s));
}

TimeS time_from_doy(int year, int doy, int hour) {
  return (days_from_civil(year, 1, 1) + doy - 1) * kDay + hour * kHour;
}

static int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

int day_of_year(TimeS t) {
  int64_t days = floor_div(t, kDay);
  int y, m, d;
  civil_from_days(days, y, m, d);
  return static_cast<int>(days - days_from_civil(y, 1, 1)) + 1;
}

int days_in_month(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

TimeS parse_iso_time(const std::string& text, const std::string& what) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0;
  double s = 0;
  char sep = 0;
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%lf", &y, &mo, &d, &sep, &h, &mi, &s);
  bool ok = n == 3 || ((n == 6 || n == 7) && (sep == 'T' || sep == ' '));
  if (ok) {
    // Only a trailing 'Z' (or nothing) may follow.
    size_t z = text.find_first_not_of("0123456789-: T.", 0);
    if (z != std::string::npos && !(text[z] == 'Z' && z + 1 == text.size())) ok = false;
  }
  if (!ok || y < 1900)
    throw InputError(what + ": cannot read '" + text +
                     "' as a UTC time; expected YYYY-MM-DD, YYYY-MM-DDTHH:MM or "
                     "YYYY-MM-DDTHH:MM:SS[.sss][Z]");
  // Every field in its range, so the time reads back as written (never normalised into the
  // next day or month: 2001-02-30 is not 2001-03-02).
  static const char* const kMonths[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
  auto reject = [&](const std::string& why) { throw InputError(what + ": " + text + ": " + why); };
  if (mo < 1 || mo > 12) reject("month " + std::to_string(mo) + " is not 1..12");
  if (d < 1 || d > days_in_month(y, mo))
    reject("day " + std::to_string(d) + " is not in " + kMonths[mo - 1] + " " + std::to_string(y) +
           " (1.." + std::to_string(days_in_month(y, mo)) + ")");
  if (h < 0 || h > 23) reject("hour " + std::to_string(h) + " is not 0..23");
  if (mi < 0 || mi > 59) reject("minute " + std::to_string(mi) + " is not 0..59");
  if (!(s >= 0 && s < 60)) {
    // %g, not a cast to int: a 47-digit second must not overflow while being described.
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g", s);
    reject(std::string("second ") + seconds + " is not in [0, 60)");
  }
  return make_time(y, mo, d, h, mi, s);
}

std::string format_iso(TimeS t) {
  int64_t days = floor_div(t, kDay);
  int64_t sec = t - days * kDay;
  int y, m, d;
  civil_from_days(days, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
                static_cast<int>(sec / 3600), static_cast<int>(sec / 60 % 60),
                static_cast<int>(sec % 60));
  return buf;
}

std::string format_date(TimeS t) {
  return format_iso(t).substr(0, 10);
}

double hours_since_epoch(TimeS t) {
  return static_cast<double>(t) / 3600.0;
}

}  // namespace tecscan
