#include <gtest/gtest.h>

#include "tecscan/error.hpp"
#include "tecscan/time.hpp"

using namespace tecscan;

TEST(Time, CivilRoundTrip) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(make_time(2017, 11, 12, 18, 18, 17.18), 1510510697);
  EXPECT_EQ(format_iso(1510510697), "2017-11-12T18:18:17Z");
  EXPECT_EQ(time_from_doy(2000, 326), make_time(2000, 11, 21));
  EXPECT_EQ(day_of_year(make_time(2000, 12, 31)), 366);
}

TEST(Time, ParsesIsoVariantsAndRejectsGarbage) {
  EXPECT_EQ(parse_iso_time("2017-11-12T18:18:17.180Z"), 1510510697);
  EXPECT_EQ(parse_iso_time("2017-11-12 18:18:17"), 1510510697);
  EXPECT_EQ(parse_iso_time("2017-11-12"), make_time(2017, 11, 12));
  EXPECT_THROW(parse_iso_time("12/11/2017"), InputError);
  EXPECT_THROW(parse_iso_time("2017-13-01"), InputError);
}

TEST(Time, ImpossibleDatesAreRefusedNamingTheField) {
  auto message = [](const std::string& text) {
    try {
      parse_iso_time(text, "--event time");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_NE(message("2001-02-30T12:00:00Z")
                .find("--event time: 2001-02-30T12:00:00Z: day 30 is "
                      "not in February 2001"),
            std::string::npos);
  EXPECT_NE(message("2001-02-29").find("day 29 is not in February 2001"), std::string::npos);
  EXPECT_NE(message("2017-04-31").find("day 31 is not in April 2017"), std::string::npos);
  EXPECT_NE(message("2017-04-01T24:00").find("hour 24"), std::string::npos);
  EXPECT_NE(message("2017-04-01T12:60").find("minute 60"), std::string::npos);
  EXPECT_NE(message("2017-04-01T12:59:60").find("second 60"), std::string::npos);
  EXPECT_NE(message("2017-00-01").find("month 0"), std::string::npos);
  // Leap days that exist, and the last second of a day.
  EXPECT_EQ(parse_iso_time("2000-02-29"), make_time(2000, 2, 29));
  EXPECT_EQ(parse_iso_time("2004-02-29T23:59:59.9Z"), make_time(2004, 2, 29, 23, 59, 59));
  EXPECT_EQ(days_in_month(1900, 2), 28);
  EXPECT_EQ(days_in_month(2000, 2), 29);
}
