// Two scans of one cube that must agree bit for bit (networks trained at once or in turn, on
// the CPU or the GPU): every detector's predictions, DTEC, flags, losses, threshold and device.
#pragma once
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tecscan/scan.hpp"

namespace tecscan::testing {

template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

inline void expect_same_detectors(const ScanResult& got, const ScanResult& want) {
  ASSERT_EQ(got.detectors.size(), want.detectors.size());
  for (size_t i = 0; i < got.detectors.size(); ++i) {
    const DetectorResult &a = got.detectors[i], &b = want.detectors[i];
    SCOPED_TRACE(a.name);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.device, b.device);
    EXPECT_TRUE(same_bits(a.predicted, b.predicted));
    EXPECT_TRUE(same_bits(a.dtec, b.dtec));
    EXPECT_EQ(a.anomaly, b.anomaly);
    EXPECT_TRUE(same_bits(a.epoch_loss, b.epoch_loss));
    EXPECT_EQ(a.threshold, b.threshold);
  }
  EXPECT_EQ(got.consensus, want.consensus);
}

}  // namespace tecscan::testing
