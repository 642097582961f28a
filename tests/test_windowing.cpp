// windowing.hpp, the rules make_windows and the device's windows_block share, on a series
// worked by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "tecscan/train.hpp"
#include "tecscan/windowing.hpp"

using namespace tecscan;

TEST(Windowing, MomentsNormalisationAndTargetsOfAWorkedSeries) {
  // Finite values 1, 3, 5, 3, 3: mean 3, squared deviations 4 + 0 + 4 + 0 + 0 = 8, var 8 / 4.
  const std::vector<float> tec = {1, NAN, 3, 5, 3, 3};
  const SeriesMoments m = series_moments(tec.data(), 6);
  EXPECT_EQ(m.mean, 3.0);
  EXPECT_EQ(m.stdev, std::sqrt(2.0));
  ASSERT_TRUE(normalisable(m));
  std::vector<float> z;
  for (float x : tec) z.push_back(normalised_value(x, m));
  EXPECT_FLOAT_EQ(z[0], static_cast<float>(-2 / std::sqrt(2.0)));
  EXPECT_TRUE(std::isnan(z[1]));
  EXPECT_EQ(z[2], 0.0f);

  // One input; n_train 5; t = 3 held out. t = 2 follows the gap (no finite input).
  std::vector<std::pair<int, bool>> visits;
  for_each_target(z.data(), 6, 1, 5, 3, 4,
                  [&](int t, bool trains) { visits.emplace_back(t, trains); });
  const std::vector<std::pair<int, bool>> expect = {{1, false}, {3, false}, {4, true}, {5, false}};
  EXPECT_EQ(visits, expect);

  // make_windows is these rules.
  const NodeWindows w = make_windows(tec.data(), 6, 1, 5.0 / 6.0, TargetRange{3, 4});
  EXPECT_EQ(w.n_train, 5);
  EXPECT_EQ(w.predict_targets, (std::vector<int>{1, 3, 4, 5}));
  EXPECT_EQ(w.train_targets, (std::vector<int>{4}));
}

TEST(Windowing, ConstantOrSingleValueSeriesCannotBeNormalised) {
  const std::vector<float> flat = {2, 2, 2}, one = {NAN, 4, NAN}, none = {NAN, NAN};
  EXPECT_FALSE(normalisable(series_moments(flat.data(), 3)));
  EXPECT_FALSE(normalisable(series_moments(one.data(), 3)));
  EXPECT_FALSE(normalisable(series_moments(none.data(), 2)));
  EXPECT_TRUE(make_windows(flat.data(), 3, 1, 0.5).predict_targets.empty());
  EXPECT_FALSE(normalisable(SeriesMoments{3.0, INFINITY}));
}

TEST(Windowing, TheSplitIsTheFloorOfTheFraction) {
  EXPECT_EQ(train_split(0.65, 100), 65);
  EXPECT_EQ(train_split(0.65, 99), 64);
  EXPECT_EQ(train_split(1.0, 37), 37);  // k-fold folds train on the whole series
}

TEST(Windowing, TheLibraryTakesAFractionOfOneTheConfigDoesNot) {
  TrainConfig tc;
  tc.train_fraction = 1.0;  // k-fold: the whole series less the fold's holdout
  EXPECT_NO_THROW(check_train_config(tc));
  tc.train_fraction = 1.01;
  EXPECT_THROW(check_train_config(tc), std::exception);
  tc.train_fraction = 0.0;
  EXPECT_THROW(check_train_config(tc), std::exception);
}
