// tecscan plot: figures and report.html of a small synthetic run written by run_scan, checked
// by their pixels (PNG header and /usr/bin/python3 + PIL), and the errors a user meets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../src/plot/plot_internal.hpp"
#include "tecscan/error.hpp"
#include "tecscan/geo.hpp"
#include "tecscan/plot.hpp"
#include "tecscan/scan.hpp"

namespace tecscan {
namespace {

namespace fs = std::filesystem;
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

// The same UTC time on the previous day: a stand-in predictor that trains in microseconds.
class YesterdayTrainer : public Trainer {
 public:
  std::string name() const override { return "yesterday"; }
  bool supports(ModelKind k, const ModelConfig&) const override {
    return k == ModelKind::kMlp || k == ModelKind::kCnn;
  }
  ModelRun train(ModelKind k, const ModelConfig&, const TrainConfig& tc, const Cube& cube,
                 Progress*) override {
    ModelRun r;
    r.kind = k;
    r.nnode = cube.nnode();
    r.ntime = cube.ntime();
    r.predicted.assign(r.nnode * r.ntime, kNaNf);
    const size_t lag = k == ModelKind::kMlp ? 12 : 24;  // 1 or 2 days of 2-hour epochs
    for (size_t n = 0; n < r.nnode; ++n)
      for (size_t t = lag; t < r.ntime; ++t)
        r.predicted[n * r.ntime + t] = cube.node_tec(n)[t - lag];
    r.epoch_loss.assign(r.nnode * static_cast<size_t>(tc.epochs), 0.1f);
    r.train_rmse.assign(r.nnode, 1.0);
    r.test_rmse.assign(r.nnode, 1.5);
    r.device = "test";
    return r;
  }
};

// 12 nodes around an epicentre off El Salvador, 34 days of 2-hour epochs (event on day 32):
// a diurnal wave plus noise, one +15 TECU disturbance 5 days before the event at a quiet epoch,
// and a storm (Kp 6) 3 days before it.
Cube make_cube() {
  Cube c;
  c.event.id = "plot-test,\"q\"$`";  // quotes and shell characters in titles
  c.event.time = make_time(2001, 2, 2, 17, 33, 32);
  c.event.lat = 13.0;
  c.event.lon = -88.7;
  c.event.mag = 7.7;
  c.event.place = "synthetic";
  c.radius_km = 2000;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) {
      c.node_lat.push_back(17.5 - 5.0 * i);
      c.node_lon.push_back(-95.0 + 5.0 * j);
      c.node_distance_km.push_back(
          great_circle_km(c.event.lat, c.event.lon, c.node_lat.back(), c.node_lon.back()));
    }
  const size_t nn = c.node_lat.size(), nt = 34 * 12;
  for (size_t t = 0; t < nt; ++t)
    c.time.push_back(make_time(2001, 1, 1, 1) + static_cast<TimeS>(t) * 2 * kHour);
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 0.5f);
  c.tec.resize(nn * nt);
  for (size_t n = 0; n < nn; ++n)
    for (size_t t = 0; t < nt; ++t) {
      const double local_h = static_cast<double>(t % 12) * 2 + 1 + c.node_lon[n] / 15.0;
      c.tec[n * nt + t] =
          static_cast<float>(30.0 + 15.0 * std::sin(2 * M_PI * (local_h - 8) / 24)) + noise(rng);
    }
  c.tec[6 * nt + 27 * 12 + 5] += 15.0f;  // day -5 relative to the event, 11 UTC
  c.tec[3 * nt + 100] = kNaNf;           // a missing map value
  const size_t storm_first = 29 * 12, storm_last = 29 * 12 + 11;
  const float quiet[kNumIndexKinds] = {1.0f, 5, 6, -5, 100, 100};
  const float storm[kNumIndexKinds] = {6.0f, 80, 70, -90, 100, 100};
  for (int k = 0; k < kNumIndexKinds; ++k)
    for (size_t t = 0; t < nt; ++t)
      c.indices[k].push_back(t >= storm_first && t <= storm_last ? storm[k] : quiet[k]);
  c.sources = {"synthetic"};
  return c;
}

struct PngCheck {
  int width = 0, height = 0;
  double stddev = 0;         // grey-level standard deviation of the whole image
  long coloured_inside = 0;  // saturated pixels in the central 60 % of the image
};

// Width and height from the IHDR chunk (bytes 16..23, big endian).
bool png_size(const std::string& path, int& width, int& height) {
  std::ifstream in(path, std::ios::binary);
  unsigned char h[24];
  if (!in.read(reinterpret_cast<char*>(h), 24)) return false;
  const unsigned char sig[8] = {137, 'P', 'N', 'G', 13, 10, 26, 10};
  if (!std::equal(sig, sig + 8, h) || std::string(h + 12, h + 16) != "IHDR") return false;
  width = (h[16] << 24) | (h[17] << 16) | (h[18] << 8) | h[19];
  height = (h[20] << 24) | (h[21] << 16) | (h[22] << 8) | h[23];
  return true;
}

bool have_pil() {
  return std::system("/usr/bin/python3 -c 'import PIL' > /dev/null 2>&1") == 0;
}

// Decodes every PNG once with PIL: "path stddev coloured_inside" lines.
std::map<std::string, PngCheck> pixel_stats(const std::vector<std::string>& pngs,
                                            const fs::path& dir) {
  const fs::path script = dir / "pixels.py", out = dir / "pixels.txt";
  std::ofstream(script) << "import sys\nfrom PIL import Image, ImageStat\n"
                           "for p in sys.argv[1:]:\n"
                           "    im = Image.open(p).convert('RGB')\n"
                           "    w, h = im.size\n"
                           "    sd = ImageStat.Stat(im.convert('L')).stddev[0]\n"
                           "    box = im.crop((w // 5, h // 5, 4 * w // 5, 4 * h // 5))\n"
                           "    n = sum(1 for r, g, b in box.getdata() if max(r, g, b) - "
                           "min(r, g, b) > 80)\n"
                           "    print(p, sd, n)\n";
  std::string cmd = "/usr/bin/python3 '" + script.string() + "'";
  for (const auto& p : pngs) cmd += " '" + p + "'";
  cmd += " > '" + out.string() + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::map<std::string, PngCheck> stats;
  std::ifstream in(out);
  std::string path;
  PngCheck c;
  while (in >> path >> c.stddev >> c.coloured_inside) stats[path] = c;
  return stats;
}

class PlotRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!gmt_available()) return;
    dir_ = new fs::path(fs::temp_directory_path() / ("tecscan_plot_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    ScanConfig cfg;
    cfg.scan.models = {"mlp", "cnn", kMedianIqrName};
    cfg.train.epochs = 2;
    YesterdayTrainer trainer;
    ScanOptions opt;
    opt.quiet_progress = true;
    run_scan(make_cube(), cfg, trainer, run_dir(), opt);
  }
  // Every figure of the run, drawn once per process (ctest runs each test in its own).
  static const PlotResult& plotted() {
    if (!result_ && !setup_error_) {
      PlotOptions po;
      po.dpi = 100;
      try {
        result_ = new PlotResult(plot_run(run_dir(), po));
      } catch (const std::exception& e) {
        setup_error_ = new std::string(e.what());
      }
    }
    if (!result_) ADD_FAILURE() << "plot_run failed: " << *setup_error_;
    static const PlotResult empty;
    return result_ ? *result_ : empty;
  }
  static void TearDownTestSuite() {
    if (dir_) fs::remove_all(*dir_);
    delete dir_;
    delete result_;
    delete setup_error_;
    dir_ = nullptr;
    result_ = nullptr;
    setup_error_ = nullptr;
  }
  void SetUp() override {
    if (!gmt_available())
      GTEST_SKIP() << "gmt is not installed (apt-get install gmt gmt-gshhg-low gmt-dcw "
                      "ghostscript): figures not checked";
  }
  static std::string run_dir() { return (*dir_ / "run").string(); }
  static std::string figure(const std::string& name) {
    return (fs::path(run_dir()) / "figures" / name).string();
  }

  static fs::path* dir_;
  static PlotResult* result_;
  static std::string* setup_error_;
};
fs::path* PlotRun::dir_ = nullptr;
PlotResult* PlotRun::result_ = nullptr;
std::string* PlotRun::setup_error_ = nullptr;

const std::vector<std::string> kFigures = {"map_mlp",       "map_cnn",     "map_median-iqr",
                                           "map_consensus", "map_sheet",   "fig3_day_hour",
                                           "fig2_indices",  "fig6_series", "map_daily"};

// Width and height of the plot frames of each figure (the GMT scripts' -J and subplot sizes).
const std::map<std::string, std::pair<double, double>> kFrameCm = {
    {"map_mlp", {14, 14}},         {"map_cnn", {14, 14}},          {"map_median-iqr", {14, 14}},
    {"map_consensus", {14, 14}},   {"map_sheet", {24, 6}},         {"fig3_day_hour", {16, 5 * 3.1}},
    {"fig2_indices", {16, 4 * 3}}, {"fig6_series", {16, 3 * 2.6}}, {"map_daily", {24, 12}}};

TEST_F(PlotRun, EveryFigureIsAPngOfPaperSize) {
  std::set<std::string> written(plotted().figures.begin(), plotted().figures.end());
  EXPECT_EQ(written.size(), kFigures.size());
  for (const auto& name : kFigures) {
    const std::string png = figure(name + ".png");
    EXPECT_TRUE(written.count(png)) << png;
    int w = 0, h = 0;
    ASSERT_TRUE(png_size(png, w, h)) << png << " is not a PNG";
    // At 100 dpi: at least the plot frames (cm / 2.54 * 100 px), plus room for labels and
    // colour bars but no blown-up page.
    const auto [frame_w_cm, frame_h_cm] = kFrameCm.at(name);
    const double frame_w = frame_w_cm / 2.54 * 100, frame_h = frame_h_cm / 2.54 * 100;
    EXPECT_GE(w, frame_w) << name;
    EXPECT_LE(w, 1.5 * frame_w) << name;
    EXPECT_GE(h, frame_h) << name;
    EXPECT_LE(h, 1.8 * frame_h) << name;
  }
  EXPECT_FALSE(fs::exists(fs::path(run_dir()) / "figures" / "work")) << "work dir left behind";
}

TEST_F(PlotRun, FiguresAreNotBlankAndHoldColourInsideTheFrame) {
  ASSERT_TRUE(have_pil()) << "/usr/bin/python3 lacks PIL (apt-get install python3-pil)";
  ASSERT_FALSE(plotted().figures.empty());
  std::vector<std::string> pngs;
  for (const auto& name : kFigures) pngs.push_back(figure(name + ".png"));
  auto stats = pixel_stats(pngs, *dir_);
  ASSERT_EQ(stats.size(), pngs.size());
  for (const auto& png : pngs) {
    const PngCheck& c = stats[png];
    EXPECT_GT(c.stddev, 15.0) << png << ": nearly uniform";
    // Coloured node symbols, images, lines: far more than a stray pixel or two.
    EXPECT_GT(c.coloured_inside, 300) << png << ": no coloured content inside the frame";
  }
}

TEST_F(PlotRun, ReportReferencesOnlyFilesThatExist) {
  ASSERT_EQ(plotted().report, (fs::path(run_dir()) / "report.html").string());
  std::ifstream in(plotted().report);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string html = ss.str();
  EXPECT_NE(html.find("plot-test"), std::string::npos);
  std::regex link("(?:href|src)=\"([^\"]+)\"");
  std::set<std::string> targets;
  for (std::sregex_iterator it(html.begin(), html.end(), link), end; it != end; ++it)
    targets.insert((*it)[1]);
  for (const auto& t : targets) {
    EXPECT_EQ(t.find("://"), std::string::npos) << t << ": the report must open offline";
    EXPECT_FALSE(fs::path(t).is_absolute()) << t;
    EXPECT_TRUE(fs::exists(fs::path(run_dir()) / t)) << t << " referenced but missing";
  }
  for (const auto& name : kFigures) EXPECT_TRUE(targets.count("figures/" + name + ".png")) << name;
  EXPECT_TRUE(targets.count("summary.json"));
  // The per-detector table and the strongest quiet anomaly: the +15 TECU disturbance.
  // One row per detector, in the run's order (summary.json's), not alphabetical.
  const size_t mlp = html.find("<td>mlp</td>"), cnn = html.find("<td>cnn</td>"),
               median_iqr = html.find("<td>median-iqr</td>");
  ASSERT_NE(median_iqr, std::string::npos);
  EXPECT_LT(mlp, cnn);
  EXPECT_LT(cnn, median_iqr);
  const size_t table = html.find("Strongest 20 quiet anomalies");
  ASSERT_NE(table, std::string::npos);
  const size_t rows =
      static_cast<size_t>(std::count(html.begin() + static_cast<long>(table), html.end(), '\n'));
  EXPECT_GT(rows, 2u);
  EXPECT_NE(html.find("2001-01-28T11:00:00Z", table), std::string::npos)
      << "the injected disturbance is not among the strongest anomalies";
}

TEST_F(PlotRun, OneModelDrawsItsMapOnlyAndPdfs) {
  PlotOptions po;
  po.model = "cnn";
  po.dpi = 60;
  po.day_from = -10;
  po.day_to = 1;
  po.node_lat = 7.5;
  po.node_lon = -80;
  po.has_node = true;
  const fs::path copy = *dir_ / "copy";
  fs::create_directories(copy);
  for (const char* f : {"scan.h5", "summary.json", "anomalies.csv"})
    fs::copy_file(fs::path(run_dir()) / f, copy / f);
  po.pdf = true;
  PlotResult r = plot_run(copy.string(), po);
  std::set<std::string> names;
  for (const auto& f : r.figures) names.insert(fs::path(f).filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"map_cnn.png", "fig3_day_hour.png", "fig2_indices.png",
                                          "fig6_series.png", "map_daily.png", "map_cnn.pdf",
                                          "fig3_day_hour.pdf", "fig2_indices.pdf",
                                          "fig6_series.pdf", "map_daily.pdf"}));
  for (const auto& f : r.figures) {
    std::ifstream in(f, std::ios::binary);
    std::string magic(5, ' ');
    in.read(magic.data(), 5);
    EXPECT_EQ(magic, fs::path(f).extension() == ".pdf" ? "%PDF-" : "\x89PNG\r") << f;
  }
}

TEST_F(PlotRun, BadOptionsAndMissingGmtAreInputErrors) {
  auto message = [](auto f) -> std::string {
    try {
      f();
    } catch (const InputError& e) {
      return e.what();
    }
    return "no InputError";
  };
  PlotOptions bad_model;
  bad_model.model = "transformer";
  EXPECT_NE(message([&] { plot_run(run_dir(), bad_model); }).find("mlp cnn median-iqr"),
            std::string::npos);
  PlotOptions no_data;
  no_data.day_from = 100;
  no_data.day_to = 120;
  EXPECT_NE(message([&] { plot_run(run_dir(), no_data); }).find("no epoch of the run"),
            std::string::npos);

  const std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", (*dir_ / "empty-bin").c_str(), 1);
  const std::string no_gmt = message([&] { plot_run(run_dir()); });
  setenv("PATH", path.c_str(), 1);
  EXPECT_NE(no_gmt.find("gmt"), std::string::npos) << no_gmt;
  EXPECT_NE(no_gmt.find("not installed"), std::string::npos) << no_gmt;
}

// ---- no gmt needed below ---------------------------------------------------------------------

TEST(PlotInputs, RunDirWithoutScanH5NamesIt) {
  const fs::path empty =
      fs::temp_directory_path() / ("tecscan_plot_empty_" + std::to_string(::getpid()));
  fs::create_directories(empty);
  try {
    plot_run(empty.string());
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), (empty / "scan.h5").string());
    EXPECT_NE(std::string(e.what()).find("tecscan scan"), std::string::npos) << e.what();
  }
  fs::remove_all(empty);
}

TEST(PlotInputs, DayWindowAndNodeParsing) {
  double a = 0, b = 0;
  parse_day_window("-15:0", a, b);
  EXPECT_EQ(a, -15);
  EXPECT_EQ(b, 0);
  parse_day_window("-2.5:1", a, b);
  EXPECT_EQ(a, -2.5);
  EXPECT_EQ(b, 1);
  EXPECT_THROW(parse_day_window("-15", a, b), InputError);
  EXPECT_THROW(parse_day_window("0:-15", a, b), InputError);
  EXPECT_THROW(parse_day_window("a:b", a, b), InputError);
  parse_node("12.5,-90", a, b);
  EXPECT_EQ(a, 12.5);
  EXPECT_EQ(b, -90);
  EXPECT_THROW(parse_node("12.5", a, b), InputError);
  EXPECT_THROW(parse_node("95,0", a, b), InputError);
}

TEST(PlotGeometry, SearchRadiusRingAcrossTheDatelineIsContinuous) {
  const double lat = -15.0, lon = 179.5, radius = 2000;
  auto ring = plot::great_circle_ring(lat, lon, radius, 361);
  ASSERT_EQ(ring.size(), 361u);
  double lon_min = 1e9, lon_max = -1e9;
  for (size_t i = 0; i < ring.size(); ++i) {
    EXPECT_NEAR(great_circle_km(lat, lon, ring[i].first, ring[i].second), radius, 0.01) << i;
    if (i > 0) {
      EXPECT_LT(std::fabs(ring[i].second - ring[i - 1].second), 1.0) << i;
    }
    lon_min = std::min(lon_min, ring[i].second);
    lon_max = std::max(lon_max, ring[i].second);
  }
  EXPECT_LT(lon_min, 179.5 - 18);  // 2000 km at 15S is about 18.6 degrees of longitude
  EXPECT_GT(lon_max, 180 + 18);    // unwrapped past the dateline, not folded to -162
  EXPECT_NEAR(ring.front().first, ring.back().first, 1e-9);  // closed
  EXPECT_NEAR(ring.front().second, ring.back().second, 1e-9);
  EXPECT_NEAR(ring[0].first, lat + radius / kEarthRadiusKm * 180 / M_PI, 1e-9);  // due north
}

TEST(PlotGeometry, PositionText) {
  EXPECT_EQ(plot::position_text(12.5, -90), "12.5N 90W");
  EXPECT_EQ(plot::position_text(-7.25, 190), "7.25S 170W");
  EXPECT_EQ(plot::position_text(0, 35), "0N 35E");
}

}  // namespace
}  // namespace tecscan
