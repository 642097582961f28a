// Editing IONEX text for tests: header records and whole files moved to other days.
#pragma once
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tecscan/time.hpp"

namespace tecscan::testing {

// One IONEX record: data in columns 1-60, the label after it.
inline std::string ionex_record(const std::string& data, const std::string& label) {
  std::string line = data;
  line.resize(60, ' ');
  return line + label;
}

// The IONEX text with every epoch record moved by `days` (one real day posing as another).
inline std::string shift_days(const std::string& text, int days) {
  std::string out;
  for (size_t begin = 0; begin < text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, end - begin);
    begin = end + 1;
    if (line.size() > 60 && line.compare(60, 9, "EPOCH OF ") == 0) {
      int v[6];
      EXPECT_EQ(
          std::sscanf(line.c_str(), "%6d%6d%6d%6d%6d%6d", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]),
          6);
      int y, m, d;
      civil_from_days(days_from_civil(v[0], v[1], v[2]) + days, y, m, d);
      char data[40];
      std::snprintf(data, sizeof data, "%6d%6d%6d%6d%6d%6d", y, m, d, v[3], v[4], v[5]);
      line = ionex_record(data, line.substr(60));
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace tecscan::testing
