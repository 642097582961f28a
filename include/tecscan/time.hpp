// UTC time as integer seconds since 1970-01-01T00:00:00Z (no leap seconds, like every index file).
#pragma once
#include <cstdint>
#include <string>

namespace tecscan {

using TimeS = int64_t;  // seconds since the Unix epoch, UTC
constexpr TimeS kHour = 3600;
constexpr TimeS kDay = 86400;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t days_from_civil(int y, int m, int d);
void civil_from_days(int64_t z, int& y, int& m, int& d);
TimeS make_time(int y, int mo, int d, int h = 0, int mi = 0, double s = 0);
TimeS time_from_doy(int year, int doy, int hour = 0);
int day_of_year(TimeS t);
int days_in_month(int year, int month);  // month 1..12 -> 28..31, proleptic Gregorian
// "2001-01-13T17:33:32.130Z", "2001-01-13 17:33:32", "2001-01-13T17:33", "2001-01-13".
// Throws InputError naming `what` on anything else, and on a field out of its range (the
// day of the month, hour 0..23, minute and second 0..59), naming the field.
TimeS parse_iso_time(const std::string& text, const std::string& what = "time");
std::string format_iso(TimeS t);    // 2001-01-13T17:33:32Z
std::string format_date(TimeS t);   // 2001-01-13
double hours_since_epoch(TimeS t);  // CF time value

// The hour of the UTC day, 0..23 (the DTEC statistics' and thresholds' groups).
inline int utc_hour(TimeS t) {
  TimeS s = t % kDay;
  if (s < 0) s += kDay;
  return static_cast<int>(s / kHour);
}

}  // namespace tecscan
