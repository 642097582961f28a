// IONEX ingest throughput: MB/s of uncompressed IONEX text for plain, gzip and Unix-compress
// (.Z) inputs, and the whole `ingest` of the bundled series. Median of 5 runs after a warm-up.
//
//   bench_ingest [ionex_dir=data/ionex/jpl-2000-2001]
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "tecscan/ingest.hpp"
#include "tecscan/ionex.hpp"

namespace fs = std::filesystem;
using namespace tecscan;

namespace {

double median_seconds(const std::function<void()>& f, int runs = 5) {
  f();  // warm-up (page cache, allocator)
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    auto a = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : TECSCAN_SOURCE_DIR "/data/ionex/jpl-2000-2001";
  std::vector<std::string> z_files = expand_inputs({dir});
  fs::path tmp = fs::temp_directory_path() / ("tecscan_bench_ingest_" + std::to_string(getpid()));
  fs::create_directories(tmp);

  // The same maps three ways: .Z as distributed, plain text, gzip (level 6).
  std::vector<std::string> plain_files, gz_files;
  size_t text_bytes = 0, z_bytes = 0, gz_bytes = 0;
  for (const auto& f : z_files) {
    std::string text = read_file_decompressed(f);
    text_bytes += text.size();
    z_bytes += fs::file_size(f);
    std::string name = fs::path(f).stem().string();
    plain_files.push_back((tmp / name).string());
    std::ofstream(plain_files.back(), std::ios::binary) << text;
    gz_files.push_back((tmp / (name + ".gz")).string());
    gzFile g = gzopen(gz_files.back().c_str(), "wb6");
    gzwrite(g, text.data(), static_cast<unsigned>(text.size()));
    gzclose(g);
    gz_bytes += fs::file_size(gz_files.back());
  }
  const double mb = static_cast<double>(text_bytes) / 1e6;
  std::printf(
      "# IONEX ingest: %zu daily files, %.1f MB of text (.Z %.1f MB, .gz %.1f MB), 1 thread\n\n",
      z_files.size(), mb, z_bytes / 1e6, gz_bytes / 1e6);
  std::printf("| input | what | seconds | MB/s of text |\n|---|---|---:|---:|\n");
  auto row = [&](const char* input, const char* what, double s) {
    std::printf("| %s | %s | %.3f | %.0f |\n", input, what, s, mb / s);
  };
  for (auto [label, files] : {std::make_pair("plain", &plain_files),
                              std::make_pair("gzip", &gz_files), std::make_pair(".Z", &z_files)}) {
    row(label, "read + decompress", median_seconds([&] {
          for (const auto& f : *files) read_file_decompressed(f);
        }));
    row(label, "read + decompress + parse", median_seconds([&] {
          for (const auto& f : *files) read_ionex(f);
        }));
  }
  std::vector<std::string> texts;
  for (const auto& f : plain_files) texts.push_back(read_file_decompressed(f));
  row("in memory", "parse only", median_seconds([&] {
        for (size_t i = 0; i < texts.size(); ++i) parse_ionex(texts[i], plain_files[i]);
      }));

  // The whole ingest of the demo event (parallel parse, series, region, indices), no write.
  IngestOptions o;
  o.ionex = {dir};
  o.indices = {TECSCAN_SOURCE_DIR "/data/indices/SW-All.txt",
               TECSCAN_SOURCE_DIR "/data/indices/dst2000.txt"};
  o.event_spec = "2001-01-13T17:33:32Z,13.049,-88.660,7.7";
  o.verbose = false;
  double s = median_seconds([&] { build_cube(o); }, 3);
  std::printf("\nbuild_cube (El Salvador, .Z inputs, all threads, incl. SW-All.txt): %.3f s\n", s);
  fs::remove_all(tmp);
  return 0;
}
