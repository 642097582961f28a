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
