// The tecscan command end to end: exit codes, error messages and files, run as a user would.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support/run_tecscan.hpp"
#include "tecscan/cube.hpp"

namespace fs = std::filesystem;

namespace {

using Result = tecscan::testing::CliResult;
using tecscan::testing::run_tecscan;

fs::path temp_dir(const std::string& name) {
  return tecscan::testing::fresh_temp_dir("cli_" + name);
}

const std::string kElSalvador =
    "--ionex data/ionex/jpl-2000-2001 --indices data/indices/SW-All.txt data/indices/dst2000.txt "
    "--catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv --event-id usp000a7m5";

}  // namespace

TEST(Cli, VersionAndHelpTeach) {
  Result v = run_tecscan("--version");
  EXPECT_EQ(v.status, 0);
  EXPECT_NE(v.output.find("tecscan " TECSCAN_VERSION), std::string::npos) << v.output;
  Result h = run_tecscan("scan --help");
  EXPECT_EQ(h.status, 0);
  for (const char* s : {"--cube", "--device", "--rnn-impl", "--epochs", "Example"})
    EXPECT_NE(h.output.find(s), std::string::npos) << s;
  EXPECT_NE(run_tecscan("").status, 0);  // a subcommand is required
}

TEST(Cli, IndicesJsonGivesTheKnownSeptember2017Storm) {
  Result r = run_tecscan(
      "indices --indices data/indices/omni2_2017.dat --start 2017-09-07 --end 2017-09-09 --json");
  ASSERT_EQ(r.status, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_NEAR(j["kp_max"]["value"].get<double>(), 25.0 / 3.0, 1e-4);
  EXPECT_EQ(j["kp_max"]["time"], "2017-09-08T12:00:00Z");
  EXPECT_EQ(j["ap_max"]["value"].get<double>(), 236.0);
  EXPECT_EQ(j["dst_min"]["value"].get<double>(), -142.0);
  EXPECT_EQ(j["dst_min"]["time"], "2017-09-08T01:00:00Z");
  EXPECT_EQ(j["quiet_fraction"].get<double>(), 0.0);
}

TEST(Cli, BadInputsFailWithFileAndNoOutput) {
  fs::path d = temp_dir("bad");
  // An IONEX file with a garbage line: exit 2, the message names the file and a line.
  fs::path bad = d / "broken.17i";
  {
    std::ofstream out(bad);
    out << "     1.0            IONOSPHERE MAPS     GPS                 IONEX VERSION / TYPE\n"
        << "this is not ionex at all\n";
  }
  Result r = run_tecscan("ingest --ionex " + bad.string() +
                         " --event 2017-01-01T12:00:00Z,35,45 --out " + (d / "c.h5").string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("broken.17i"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d / "c.h5"));
  // An unknown event id and a bad radius.
  r = run_tecscan("ingest " + kElSalvador + "x --out " + (d / "c.h5").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("usp000a7m5x"), std::string::npos) << r.output;
  r = run_tecscan("ingest " + kElSalvador + " --radius far --out " + (d / "c.h5").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("--radius"), std::string::npos) << r.output;
  // A config with a typo names the key.
  fs::path cfg = d / "typo.toml";
  std::ofstream(cfg) << "[train]\nepoch = 3\n";
  r = run_tecscan("scan --cube " + (d / "none.h5").string() + " --config " + cfg.string() +
                  " --out " + (d / "run").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("train.epoch"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d / "run" / "summary.json"));
  fs::remove_all(d);
}

TEST(Cli, IngestAndScanTheBundledElSalvadorEvent) {
  fs::path d = temp_dir("elsalvador");
  Result r = run_tecscan("ingest " + kElSalvador + " --out " + (d / "cube.h5").string());
  ASSERT_EQ(r.status, 0) << r.output;
  tecscan::Cube cube = tecscan::read_cube((d / "cube.h5").string());
  // 5 x 2.5 deg nodes within 2000 km of 13.049N 88.660W; recomputed by
  // tests/python/independent_values.py.
  EXPECT_EQ(cube.nnode(), 83u);
  EXPECT_EQ(cube.ntime(), 660u);  // 55 days x 12 maps, clipped to the data
  EXPECT_EQ(cube.event.id, "usp000a7m5");
  // Dst does not cover January 2001: the cube says so with NaN, never a number.
  EXPECT_TRUE(std::isnan(cube.indices[static_cast<int>(tecscan::IndexKind::kDst)].back()));

  r = run_tecscan("scan --cube " + (d / "cube.h5").string() +
                  " --models mlp,median-iqr --epochs 2 --device cpu --threads 2 --quiet "
                  "--sequential-models --out " +
                  (d / "run").string());
  ASSERT_EQ(r.status, 0) << r.output;
  // A GPU-only option on the CPU says that it changes nothing.
  EXPECT_NE(r.output.find("--sequential-models has no effect"), std::string::npos) << r.output;
  for (const char* f : {"scan.h5", "anomalies.csv", "summary.json", "config.used.toml"})
    EXPECT_TRUE(fs::exists(d / "run" / f)) << f;
  auto summary = nlohmann::json::parse(std::ifstream(d / "run" / "summary.json"));
  EXPECT_EQ(summary["models"]["mlp"]["device"], "cpu (2 threads)");
  std::ifstream csv(d / "run" / "anomalies.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header,
            "event_id,model,node_lat,node_lon,distance_km,time_utc,days_to_event,hour_utc,"
            "local_time_h,dtec,delta_tec,observed_tec,predicted_tec,quiet,threshold");
  fs::remove_all(d);
}

TEST(Cli, PlotsTheBundledElSalvadorEvent) {
  // Every figure of the bundled event (pixel checks of each figure type: test_plot.cpp).
  if (std::system("command -v gmt >/dev/null") != 0)
    GTEST_SKIP() << "gmt is not installed (apt-get install gmt gmt-gshhg-low gmt-dcw "
                    "ghostscript): the El Salvador figures were not drawn";
  fs::path d = temp_dir("elsalvador_plot");
  Result r = run_tecscan("ingest " + kElSalvador + " --out " + (d / "cube.h5").string());
  ASSERT_EQ(r.status, 0) << r.output;
  r = run_tecscan("scan --cube " + (d / "cube.h5").string() +
                  " --models mlp,median-iqr --epochs 2 --device cpu --threads 2 --quiet --out " +
                  (d / "run").string());
  ASSERT_EQ(r.status, 0) << r.output;
  r = run_tecscan("plot " + (d / "run").string());
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* f :
       {"map_mlp.png", "map_median-iqr.png", "map_consensus.png", "map_sheet.png", "map_daily.png",
        "fig2_indices.png", "fig3_day_hour.png", "fig6_series.png", "significance.png"}) {
    const fs::path png = d / "run" / "figures" / f;
    ASSERT_TRUE(fs::exists(png)) << f;
    EXPECT_GT(fs::file_size(png), 20000u) << f;
  }
  EXPECT_TRUE(fs::exists(d / "run" / "report.html"));
  fs::remove_all(d);
}

TEST(Cli, DeviceCudaWithoutAGpuSaysWhy) {
  if (std::getenv("TECSCAN_HAVE_GPU")) GTEST_SKIP() << "a GPU is present: nothing to refuse";
  fs::path d = temp_dir("nogpu");
  Result r = run_tecscan("scan " + kElSalvador + " --models mlp --epochs 1 --device cuda --out " +
                         (d / "run").string());
  if (r.status == 0) GTEST_SKIP() << "a CUDA device is visible here; the refusal is untestable";
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--device cuda"), std::string::npos) << r.output;
  // Refused before any work: no cube was built ("event ...: N nodes x M epochs").
  EXPECT_EQ(r.output.find(" nodes x "), std::string::npos) << r.output;
  fs::remove_all(d);
}
