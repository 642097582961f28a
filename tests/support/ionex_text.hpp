// Editing IONEX text for tests: header records and whole files moved to other days.
#pragma once
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tecscan/time.hpp"

namespace tecscan::testing {

// One IONEX record: data in columns 1-60, the label after it.
inline std::string ionex_record(const std::string& data, const std::string& label) {
  std::string line = data;
  line.resize(60, ' ');
  return line + label;
}

// The text as lines (without their newlines), and back.
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t begin = 0; begin < text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}
inline std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

// A record's label (columns 61 on, trailing blanks removed); "" for a data line.
inline std::string label_of(const std::string& line) {
  if (line.size() <= 60) return "";
  std::string label = line.substr(60);
  return label.substr(0, label.find_last_not_of(' ') + 1);
}

// 0-based index of the n-th (0-based) line whose label is `label`.
inline size_t find_label(const std::vector<std::string>& lines, const std::string& label,
                         int nth = 0) {
  for (size_t k = 0; k < lines.size(); ++k)
    if (label_of(lines[k]) == label && nth-- == 0) return k;
  ADD_FAILURE() << "no line labelled " << label;
  return 0;
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
