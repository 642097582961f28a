// Runs the tecscan command as a user would (from the repository root, so data/ paths work as
// in the README), for the CLI tests.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace tecscan::testing {

struct CliResult {
  int status;
  std::string output;  // stdout and stderr together
};

// The binary: $TECSCAN_EXE (set by CTest) or the build tree's.
inline std::string tecscan_exe() {
  const char* exe = std::getenv("TECSCAN_EXE");
  return exe ? exe : TECSCAN_BINARY_DIR "/tecscan";
}

inline CliResult run_tecscan(const std::string& args, const std::string& env = "") {
  std::string cmd =
      "cd '" TECSCAN_SOURCE_DIR "' && " + env + " '" + tecscan_exe() + "' " + args + " 2>&1";
  CliResult r{-1, ""};
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// A fresh, empty directory under the system temp dir, unique to this test process.
inline std::filesystem::path fresh_temp_dir(const std::string& name) {
  namespace fs = std::filesystem;
  fs::path d = fs::temp_directory_path() / ("tecscan_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// The whole file as bytes ("" when it cannot be read).
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace tecscan::testing
