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
#include "tecscan/h5file.hpp"
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

bool have_h5py() {
  return std::system("/usr/bin/python3 -c 'import h5py' > /dev/null 2>&1") == 0;
}

// Writes a Python script to dir and runs it with arguments.
void run_python(const fs::path& dir, const std::string& name, const std::string& code,
                const std::vector<std::string>& args) {
  const fs::path script = dir / name;
  std::ofstream(script) << code;
  std::string cmd = "/usr/bin/python3 '" + script.string() + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// Turns a scan.h5 into one of an older version: no /significance, no threshold attributes.
const char* kStripSignificance = R"PY(import sys, h5py
with h5py.File(sys.argv[1], 'r+') as f:
    if 'significance' in f:
        del f['significance']
    for m in f['dtec']:
        for key in ('threshold', 'threshold_source'):
            if key in f['dtec/' + m].attrs:
                del f['dtec/' + m].attrs[key]
)PY";

// A sensitivity.csv as the scan writes it (the consensus' threshold empty: NaN).
const char* kSensitivityCsv =
    "detector,amplitude,injections,recall,false_alarm_rate,threshold\n"
    "mlp,0.05,20,0.15,0.05,2.4\nmlp,0.1,20,0.45,0.05,2.4\nmlp,0.2,20,0.8,0.1,2.4\n"
    "mlp,0.4,20,1,0.05,2.4\n"
    "cnn,0.05,20,0.1,0.1,2.6\ncnn,0.1,20,0.35,0.1,2.6\ncnn,0.2,20,0.7,0.05,2.6\n"
    "cnn,0.4,20,0.95,0.1,2.6\n"
    "median-iqr,0.05,20,0.2,0.15,3.1\nmedian-iqr,0.1,20,0.55,0.1,3.1\n"
    "median-iqr,0.2,20,0.9,0.15,3.1\nmedian-iqr,0.4,20,1,0.1,3.1\n"
    "consensus,0.05,20,0.05,0,\nconsensus,0.1,20,0.3,0.05,\n"
    "consensus,0.2,20,0.65,0,\nconsensus,0.4,20,0.95,0.05,\n";

constexpr double kWindowDays = 7;  // a short precursor window: about 19 control windows

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A copy of a run directory's files (scan.h5, summary.json, anomalies.csv, config.used.toml, ...):
// plot refuses a directory that does not hold a complete run.
void copy_run(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& entry : fs::directory_iterator(from))
    if (entry.is_regular_file()) fs::copy_file(entry.path(), to / entry.path().filename());
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
    cfg.significance.window_days = kWindowDays;
    YesterdayTrainer trainer;
    ScanOptions opt;
    opt.quiet_progress = true;
    run_scan(make_cube(), cfg, trainer, run_dir(), opt);
    // A second run with injection-recovery (sensitivity.csv): the detectors that need no
    // trained weights, as the stand-in trainer keeps none.
    cfg.scan.models = {kMedianIqrName, kArName};
    cfg.inject.amplitudes = {0.01, 0.03, 0.1, 0.3};
    cfg.inject.per_amplitude = 6;
    opt.inject = true;
    run_scan(make_cube(), cfg, trainer, inject_dir(), opt);
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
  static const PlotResult& plotted_inject() {
    static PlotResult* result = nullptr;
    if (!result) {
      PlotOptions po;
      po.dpi = 100;
      result = new PlotResult(plot_run(inject_dir(), po));
    }
    return *result;
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
  static std::string inject_dir() { return (*dir_ / "inject").string(); }
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

// The figures of the main run (no sensitivity.csv: no sensitivity figure).
const std::vector<std::string> kFigures = {
    "significance", "map_mlp",       "map_cnn",      "map_median-iqr", "map_consensus",
    "map_sheet",    "fig3_day_hour", "fig2_indices", "fig6_series",    "map_daily"};

// Width and height of the plot frames of each figure (the GMT scripts' -J and subplot sizes;
// the sensitivity figure's legend beside its 14 cm frame).
const std::map<std::string, std::pair<double, double>> kFrameCm = {
    {"significance", {16, 4 * 3}},  {"sensitivity", {19.5, 9}},       {"map_mlp", {14, 14}},
    {"map_cnn", {14, 14}},          {"map_median-iqr", {14, 14}},     {"map_consensus", {14, 14}},
    {"map_sheet", {24, 6}},         {"fig3_day_hour", {16, 5 * 3.1}}, {"fig2_indices", {16, 4 * 3}},
    {"fig6_series", {16, 3 * 2.6}}, {"map_daily", {24, 12}}};

// At 100 dpi: at least the plot frames (cm / 2.54 * 100 px), plus room for labels and colour
// bars but no blown-up page.
void expect_paper_size(const std::string& png, double frame_w_cm, double frame_h_cm) {
  int w = 0, h = 0;
  ASSERT_TRUE(png_size(png, w, h)) << png << " is not a PNG";
  const double frame_w = frame_w_cm / 2.54 * 100, frame_h = frame_h_cm / 2.54 * 100;
  EXPECT_GE(w, frame_w) << png;
  EXPECT_LE(w, 1.5 * frame_w) << png;
  EXPECT_GE(h, frame_h) << png;
  EXPECT_LE(h, 1.8 * frame_h) << png;
}

TEST_F(PlotRun, EveryFigureIsAPngOfPaperSize) {
  std::set<std::string> written(plotted().figures.begin(), plotted().figures.end());
  EXPECT_EQ(written.size(), kFigures.size());
  for (const auto& name : kFigures) {
    const std::string png = figure(name + ".png");
    EXPECT_TRUE(written.count(png)) << png;
    expect_paper_size(png, kFrameCm.at(name).first, kFrameCm.at(name).second);
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
  copy_run(run_dir(), copy);
  po.pdf = true;
  PlotResult r = plot_run(copy.string(), po);
  std::set<std::string> names;
  for (const auto& f : r.figures) names.insert(fs::path(f).filename().string());
  // No sensitivity.csv in the copy: no sensitivity figure.
  EXPECT_EQ(names, (std::set<std::string>{"significance.png", "map_cnn.png", "fig3_day_hour.png",
                                          "fig2_indices.png", "fig6_series.png", "map_daily.png",
                                          "significance.pdf", "map_cnn.pdf", "fig3_day_hour.pdf",
                                          "fig2_indices.pdf", "fig6_series.pdf", "map_daily.pdf"}));
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

// The report opens with the significance figure and a table of what scan.h5 says: each
// detector's threshold and its source, the window's p-value, the null.
TEST_F(PlotRun, ReportOpensWithTheSignificanceOfTheRun) {
  const std::string html = read_text(plotted().report);
  ASSERT_FALSE(html.empty());
  const size_t first_img = html.find("<img src=\"figures/");
  ASSERT_NE(first_img, std::string::npos);
  EXPECT_EQ(html.find("<img src=\"figures/significance.png\""), first_img)
      << "the significance figure is not the first figure";
  EXPECT_LT(html.find("Significance of the precursor window"), html.find("Per-detector results"));
  EXPECT_EQ(html.find("Sensitivity: injection-recovery"), std::string::npos) << "no --inject";

  H5File f = H5File::open_read((fs::path(run_dir()) / "scan.h5").string());
  EXPECT_NE(html.find(f.read_attr_string("significance", "null")), std::string::npos);
  for (const std::string name : {"mlp", "cnn", "median-iqr", "consensus"}) {
    const std::string g = "significance/" + name;
    const size_t row = html.find("<tr><td>" + name + "</td>");
    ASSERT_NE(row, std::string::npos) << name;
    const std::string tr = html.substr(row, html.find("</tr>", row) - row);
    if (name != "consensus") {
      EXPECT_NE(
          tr.find("<td>" + plot::fmt(f.read_attr_double("dtec/" + name, "threshold"), 3) + "</td>"),
          std::string::npos)
          << tr;
      EXPECT_NE(tr.find(f.read_attr_string("dtec/" + name, "threshold_source")), std::string::npos)
          << tr;
    }
    const double p = f.read_attr_double(g, "p_value");
    EXPECT_NE(tr.find("<td>" + plot::p_text(p) + "</td>"), std::string::npos) << tr;
    EXPECT_NE(tr.find("<td>" + std::to_string(f.read_attr_int(g, "n_controls")) + "</td>"),
              std::string::npos)
        << tr;
    // The plain-words sentence: k of n control windows at or above the window's rate.
    const std::vector<double> controls = f.read_double(g + "/control_rates");
    const double rate = f.read_attr_double(g, "window_rate");
    const long k =
        std::count_if(controls.begin(), controls.end(), [&](double c) { return c >= rate; });
    EXPECT_NE(
        html.find("occurred in " + std::to_string(k) + " of " + std::to_string(controls.size()) +
                  " control windows (p = " + plot::p_text(p) + ")"),
        std::string::npos)
        << name;
    EXPECT_NEAR(p, (1.0 + k) / (1.0 + controls.size()), 1e-12) << name;
  }
}

// A run scanned with --inject: the sensitivity curves follow the significance figure, and the
// report's table holds sensitivity.csv's rows.
TEST_F(PlotRun, InjectionRunGetsSensitivityCurves) {
  const std::vector<std::string>& figures = plotted_inject().figures;
  ASSERT_GE(figures.size(), 2u);
  const fs::path dir(inject_dir());
  EXPECT_EQ(figures[0], (dir / "figures" / "significance.png").string());
  EXPECT_EQ(figures[1], (dir / "figures" / "sensitivity.png").string());
  expect_paper_size(figures[0], 16, 3 * 3);  // median-iqr, ar, consensus
  expect_paper_size(figures[1], kFrameCm.at("sensitivity").first,
                    kFrameCm.at("sensitivity").second);
  ASSERT_TRUE(have_pil()) << "/usr/bin/python3 lacks PIL (apt-get install python3-pil)";
  auto stats = pixel_stats({figures[0], figures[1]}, *dir_);
  for (const auto& png : {figures[0], figures[1]}) {
    EXPECT_GT(stats[png].stddev, 15.0) << png;
    EXPECT_GT(stats[png].coloured_inside, 300) << png;
  }

  const std::string html = read_text(plotted_inject().report);
  const size_t significance = html.find("<img src=\"figures/significance.png\"");
  const size_t sensitivity = html.find("<img src=\"figures/sensitivity.png\"");
  EXPECT_EQ(significance, html.find("<img src=\"figures/"));
  EXPECT_LT(significance, sensitivity);
  EXPECT_LT(sensitivity, html.find("<img src=\"figures/map_ar.png\""));
  EXPECT_EQ(html.find("<img src=\"figures/sensitivity.png\"", sensitivity + 1), std::string::npos)
      << "shown twice";
  const auto rows = plot::load_sensitivity((dir / "sensitivity.csv").string());
  ASSERT_EQ(rows.size(), 3u * 4u);  // median-iqr, ar, consensus x 4 amplitudes
  for (const auto& r : rows) {
    const std::string tr = "<tr><td>" + r.detector + "</td><td>" + plot::fmt(100 * r.amplitude, 1) +
                           " %</td><td>" + std::to_string(r.injections) + "</td><td>" +
                           plot::fmt(r.recall, 2) + "</td><td>" + plot::fmt(r.false_alarm_rate, 2) +
                           "</td>";
    EXPECT_NE(html.find(tr), std::string::npos) << tr;
  }
}

// Figure 3 marks |DTEC| above the detector's own threshold (scan.h5), not the fixed 1.5.
TEST_F(PlotRun, DayHourImagesUseTheDetectorsThreshold) {
  const fs::path copy = *dir_ / "threshold";
  copy_run(run_dir(), copy);
  PlotOptions po;
  po.model = "cnn";
  po.dpi = 30;
  po.keep_work = true;
  plot_run(copy.string(), po);
  H5File f = H5File::open_read((copy / "scan.h5").string());
  const double threshold = f.read_attr_double("dtec/cnn", "threshold");
  ASSERT_GT(std::fabs(threshold - 1.5), 0.01) << "the run's threshold is the fixed one";
  const std::string script = read_text((copy / "figures" / "work" / "fig3_day_hour.sh").string());
  EXPECT_NE(script.find("|DTEC| > " + plot::fmt(threshold, 2)), std::string::npos);
  EXPECT_EQ(script.find("|DTEC| > 1.50"), std::string::npos);
  const std::string report = read_text((copy / "report.html").string());
  EXPECT_NE(report.find("Anomaly: |DTEC| above each detector's threshold"), std::string::npos)
      << "thresholds differ per detector";
}

// A run of an older version (no /significance, no threshold attributes) still plots every
// other figure, says so on stderr, and the report falls back to the configured threshold.
TEST_F(PlotRun, RunWithoutSignificanceStillPlots) {
  ASSERT_TRUE(have_h5py()) << "/usr/bin/python3 lacks h5py (apt-get install python3-h5py)";
  const fs::path old = *dir_ / "old";
  copy_run(run_dir(), old);
  run_python(*dir_, "strip.py", kStripSignificance, {(old / "scan.h5").string()});
  PlotOptions po;
  po.dpi = 30;
  testing::internal::CaptureStderr();
  PlotResult r = plot_run(old.string(), po);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("no significance data"), std::string::npos) << err;
  EXPECT_NE(err.find((old / "scan.h5").string()), std::string::npos) << err;
  std::set<std::string> names;
  for (const auto& f : r.figures) names.insert(fs::path(f).stem().string());
  std::set<std::string> expected(kFigures.begin() + 1, kFigures.end());  // all but significance
  EXPECT_EQ(names, expected);
  EXPECT_FALSE(fs::exists(old / "figures" / "significance.png"));
  const std::string html = read_text(r.report);
  EXPECT_NE(html.find("This run has no significance data"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>mlp</td><td>1.500</td><td>fixed</td></tr>"), std::string::npos);
  EXPECT_EQ(html.find("Sensitivity: injection-recovery"), std::string::npos);
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

TEST(PlotInputs, SensitivityCsvIsReadAndCheckedLineByLine) {
  const fs::path dir =
      fs::temp_directory_path() / ("tecscan_plot_csv_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "sensitivity.csv").string();
  std::ofstream(path) << kSensitivityCsv;
  auto rows = plot::load_sensitivity(path);
  ASSERT_EQ(rows.size(), 16u);
  EXPECT_EQ(rows[5].detector, "cnn");
  EXPECT_DOUBLE_EQ(rows[5].amplitude, 0.1);
  EXPECT_EQ(rows[5].injections, 20);
  EXPECT_DOUBLE_EQ(rows[5].recall, 0.35);
  EXPECT_DOUBLE_EQ(rows[5].false_alarm_rate, 0.1);
  EXPECT_DOUBLE_EQ(rows[5].threshold, 2.6);
  EXPECT_TRUE(std::isnan(rows.back().threshold));  // the consensus has no |DTEC| threshold
  auto error_line = [&](const std::string& text) -> long {
    std::ofstream(path) << text;
    try {
      plot::load_sensitivity(path);
    } catch (const InputError& e) {
      EXPECT_EQ(e.file(), path);
      return e.line();
    }
    return -1;
  };
  EXPECT_EQ(error_line("detector,amplitude,recall\n"), 1);
  EXPECT_EQ(error_line("detector,amplitude,injections,recall,false_alarm_rate,threshold\n"
                       "mlp,0.1,20,0.5,0.1,2\nmlp,0.2,20,x,0.1,2\n"),
            3);
  EXPECT_EQ(error_line("detector,amplitude,injections,recall,false_alarm_rate,threshold\n"
                       "mlp,0.1,20,0.5\n"),
            2);
  fs::remove_all(dir);
}

TEST(PlotText, PercentAndPValues) {
  EXPECT_EQ(plot::percent(0.0123), "1.23 %");
  EXPECT_EQ(plot::percent(0.00042), "0.042 %");
  EXPECT_EQ(plot::percent(0), "0.00 %");
  EXPECT_EQ(plot::percent(std::nan("")), "n/a");
  EXPECT_EQ(plot::p_text(0.32), "0.32");
  EXPECT_EQ(plot::p_text(0.024), "0.024");
  EXPECT_EQ(plot::p_text(0.0099), "0.0099");
  EXPECT_EQ(plot::p_text(1), "1.00");
  EXPECT_EQ(plot::p_text(std::nan("")), "n/a");
}

TEST(PlotGeometry, PositionText) {
  EXPECT_EQ(plot::position_text(12.5, -90), "12.5N 90W");
  EXPECT_EQ(plot::position_text(-7.25, 190), "7.25S 170W");
  EXPECT_EQ(plot::position_text(0, 35), "0N 35E");
}

// The maps' frame holds the whole search radius, drawn as a circle, with the epicentre at its
// centre wherever the event is: at a pole, next to one, at high latitude, on either side of the
// dateline. GMT itself projects the points through the maps' -R and -J (mapproject), so this is
// what the maps show.
TEST(PlotGeometry, MapFrameHoldsTheSearchRadiusAtThePolesAndTheDateline) {
  if (!gmt_available()) GTEST_SKIP() << "gmt is not installed: map frames not checked";
  const fs::path dir =
      fs::temp_directory_path() / ("tecscan_plot_frame_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const double radius_km = 2000, width_cm = 10, half_width_cm = width_cm / 2;
  const std::pair<double, double> events[] = {{90, 0},      {-89, 0},      {80, 30},
                                              {-15, 179.9}, {-15, -179.9}, {13, -88.7}};
  for (const auto& [lat, lon] : events) {
    SCOPED_TRACE(plot::position_text(lat, lon));
    {
      std::ofstream points(dir / "points.txt");
      points << lon << " " << lat << "\n";  // the epicentre first, then the search radius
      for (const auto& [ring_lat, ring_lon] : plot::great_circle_ring(lat, lon, radius_km, 73))
        points << ring_lon << " " << ring_lat << "\n";
    }
    const std::string frame =
        plot::map_region_projection(lat, lon, radius_km, plot::fmt(width_cm, 0) + "c");
    const std::string cmd = "cd '" + dir.string() + "' && gmt mapproject " + frame +
                            " -W --PROJ_LENGTH_UNIT=cm > size.txt && gmt mapproject " + frame +
                            " points.txt --PROJ_LENGTH_UNIT=cm > xy.txt";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream size(dir / "size.txt");
    double map_width = 0, map_height = 0;
    ASSERT_TRUE(size >> map_width >> map_height) << frame;
    EXPECT_NEAR(map_width, width_cm, 0.01) << frame;
    EXPECT_NEAR(map_height, width_cm, 0.01) << frame << ": not a square map";
    std::ifstream xy(dir / "xy.txt");
    double x = 0, y = 0;
    ASSERT_TRUE(xy >> x >> y);
    EXPECT_NEAR(x, half_width_cm, 0.01) << frame << ": epicentre off centre";
    EXPECT_NEAR(y, half_width_cm, 0.01) << frame << ": epicentre off centre";
    // Azimuthal equidistant: the search radius is a circle of width / 2.24 about the centre,
    // its points in order around it (a step of 5 degrees: 0.39 cm apart).
    const double circle_cm = width_cm / 2.24, step_cm = 2 * M_PI * circle_cm / 72;
    int ring_points = 0;
    double previous_x = 0, previous_y = 0;
    while (xy >> x >> y) {
      EXPECT_NEAR(std::hypot(x - half_width_cm, y - half_width_cm), circle_cm, 0.05)
          << frame << ": ring point " << x << " " << y;
      if (ring_points++ > 0) {
        EXPECT_NEAR(std::hypot(x - previous_x, y - previous_y), step_cm, 0.05 * step_cm)
            << frame << ": ring point " << ring_points << " does not follow the one before";
      }
      previous_x = x;
      previous_y = y;
    }
    EXPECT_EQ(ring_points, 73);
  }
  fs::remove_all(dir);
}

// Figures go into a directory whose path holds spaces, a quote and a comma: GMT drops the spaces
// of a figure path it is given and writes nothing, and reads a comma in a colour table's path as
// a list of colours; so the script uses names in the work directory and the figure is moved.
TEST(PlotGmt, DrawsIntoAPathWithSpacesQuotesAndCommas) {
  if (!gmt_available()) GTEST_SKIP() << "gmt is not installed";
  const fs::path root = fs::temp_directory_path() /
                        ("tecscan_plot_gmt_" + std::to_string(::getpid())) / "dir with space";
  const fs::path fig_dir = root / "it's a run, 2" / "figures", work_dir = fig_dir / "work";
  fs::create_directories(work_dir);
  PlotOptions options;
  options.dpi = 30;
  plot::GmtFigure fig("frame", fig_dir.string(), work_dir.string(), options);
  fig << "gmt plot " + fig.data("points.txt", "1 1 2\n5 5 8\n") + " -R0/10/0/10 -JX4c -Sc0.3c -C" +
             fig.data("colours.cpt", "0 red 10 blue\n") + " -Ba";
  std::vector<std::string> files;
  try {
    files = fig.render();
  } catch (const InputError& e) {
    FAIL() << e.what();
  }
  EXPECT_EQ(files, std::vector<std::string>{(fig_dir / "frame.png").string()});
  int width = 0, height = 0;
  EXPECT_TRUE(png_size((fig_dir / "frame.png").string(), width, height));
  EXPECT_GT(width, 0);
  EXPECT_FALSE(fs::exists(work_dir / "frame.png")) << "moved, not copied";
  fs::remove_all(root.parent_path());
}

// A GMT failure is an error naming the script with GMT's own message; a script that ends
// without its figure and without a word says which file GMT did not write. Neither leaves a
// figure or a GMT session behind.
TEST(PlotGmt, FailureCarriesGmtsOwnMessage) {
  if (!gmt_available()) GTEST_SKIP() << "gmt is not installed";
  const fs::path fig_dir =
      fs::temp_directory_path() / ("tecscan_plot_gmt_fail_" + std::to_string(::getpid()));
  const fs::path work_dir = fig_dir / "work";
  fs::create_directories(work_dir);
  PlotOptions options;
  options.dpi = 30;
  auto error_of = [&](const std::string& line) -> std::string {
    plot::GmtFigure fig("broken", fig_dir.string(), work_dir.string(), options);
    fig << line;
    try {
      fig.render();
    } catch (const InputError& e) {
      EXPECT_EQ(e.file(), (work_dir / "broken.sh").string());
      return e.what();
    }
    return "no InputError";
  };
  const std::string gmt_error = error_of("gmt plot no_such_file.txt -R0/1/0/1 -JX3c -W1p");
  EXPECT_NE(gmt_error.find("GMT failed drawing broken"), std::string::npos) << gmt_error;
  EXPECT_NE(gmt_error.find("Cannot find file no_such_file.txt"), std::string::npos) << gmt_error;
  const std::string silent = error_of("exit 0");
  EXPECT_NE(silent.find("GMT wrote no broken.png"), std::string::npos) << silent;
  EXPECT_NE(silent.find("GMT printed nothing"), std::string::npos) << silent;
  EXPECT_FALSE(fs::exists(fig_dir / "broken.png"));
  FILE* userdir = popen("gmt --show-userdir", "r");
  char buf[4096] = {0};
  const bool got_userdir = userdir && std::fgets(buf, sizeof buf, userdir);
  if (userdir) pclose(userdir);
  ASSERT_TRUE(got_userdir);
  std::string sessions(buf);
  sessions = sessions.substr(0, sessions.find('\n')) + "/sessions";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(sessions, ec)) {
    const std::string name = entry.path().filename().string();
    EXPECT_FALSE(name.size() > 6 && name.compare(name.size() - 6, 6, "broken") == 0) << name;
  }
  fs::remove_all(fig_dir);
}

}  // namespace
}  // namespace tecscan
