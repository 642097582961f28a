#include "tecscan/validate.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tecscan/error.hpp"

namespace tecscan {

namespace fs = std::filesystem;

namespace {

std::string bound_text(double x) {
  std::ostringstream s;
  s.precision(15);
  s << x;
  return s.str();
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool is_scan_run(const fs::path& dir) {
  return is_file(dir / "scan.h5") || is_file(dir / "config.used.toml");
}

// Both exist and are the same file or directory.
bool same_entry(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec) && !ec;
}

// `inner` lies below the directory `outer`: one of its parents is `outer` (by identity, so
// another spelling counts; `inner` itself need not exist yet).
bool lies_inside(const fs::path& inner, const fs::path& outer) {
  std::error_code ec;
  fs::path parent = fs::absolute(inner, ec).lexically_normal();
  if (ec) return false;
  while (parent.has_relative_path()) {
    parent = parent.parent_path();
    if (same_entry(parent, outer)) return true;
  }
  return false;
}

}  // namespace

bool NumberRange::contains(double x) const {
  if (std::isnan(x)) return false;
  if (integer && (!std::isfinite(x) || x != std::floor(x))) return false;
  const bool above = lo_open ? x > lo : x >= lo;
  const bool below = hi_open ? x < hi : x <= hi;
  return above && below;
}

std::string NumberRange::describe() const {
  const std::string kind = integer ? "an integer" : "a number";
  const bool low = std::isfinite(lo), high = std::isfinite(hi);
  if (low && high)
    return kind + " in " + (lo_open ? "(" : "[") + bound_text(lo) + ", " + bound_text(hi) +
           (hi_open ? ")" : "]");
  if (low) return kind + (lo_open ? " > " : " >= ") + bound_text(lo);
  if (high) return kind + (hi_open ? " < " : " <= ") + bound_text(hi);
  return integer ? "an integer" : "any number";
}

std::string number_range_error(const std::string& text, const NumberRange& range) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double x = text.empty() ? NAN : std::strtod(begin, &end);
  if (text.empty() || end != begin + text.size() || !range.contains(x))
    return "expected " + range.describe() + ", got '" + text + "'";
  return "";
}

double parse_number_in(const std::string& text, const NumberRange& range,
                       const std::string& option) {
  const std::string error = number_range_error(text, range);
  if (!error.empty()) throw InputError(option + ": " + error);
  return std::strtod(text.c_str(), nullptr);
}

void require_regular_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status) || fs::is_regular_file(status)) return;
  throw InputError(path, 0,
                   std::string("not a file (") +
                       (fs::is_directory(status) ? "a directory" : "a special file") +
                       "), expected " + what);
}

void require_output_not_input(const std::string& output, const std::vector<std::string>& inputs,
                              const std::string& option, bool inside_counts) {
  for (const std::string& input : inputs) {
    if (same_entry(output, input))
      throw InputError(option + " " + output + ": is also an input (" + input +
                       "); writing there would replace it, choose another output path");
    std::error_code ec;
    if (inside_counts && fs::is_directory(input, ec) && lies_inside(output, input))
      throw InputError(option + " " + output + ": lies inside the input " + input +
                       ", which would then hold the output among its runs; choose a path "
                       "outside it");
  }
}

RunDirKind run_dir_kind(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return RunDirKind::kAbsent;
  if (!fs::is_directory(dir, ec)) return RunDirKind::kOther;
  const fs::path d(dir);
  if (is_file(d / "merge.h5")) return RunDirKind::kMerge;
  if (is_scan_run(d)) return RunDirKind::kScanRun;
  // One level only: a batch root holds its runs directly (and --out . must not walk a tree).
  bool empty = true;
  for (const auto& entry : fs::directory_iterator(d, ec)) {
    empty = false;
    if (entry.is_directory(ec) && is_scan_run(entry.path())) return RunDirKind::kBatchRoot;
  }
  return empty ? RunDirKind::kEmpty : RunDirKind::kOther;
}

const char* run_dir_kind_name(RunDirKind kind) {
  switch (kind) {
    case RunDirKind::kAbsent:
      return "nothing";
    case RunDirKind::kEmpty:
      return "an empty directory";
    case RunDirKind::kScanRun:
      return "a scan run";
    case RunDirKind::kMerge:
      return "a merge";
    case RunDirKind::kBatchRoot:
      return "a batch root";
    default:
      return "something else";
  }
}

void require_run_dir_kind(const std::string& dir, RunDirKind writing, const std::string& option) {
  const RunDirKind found = run_dir_kind(dir);
  // A directory of other files may receive a run (the user's choice); a file never can, and a
  // run of one kind is never mixed with another.
  if (found == RunDirKind::kOther && !std::filesystem::is_directory(dir))
    throw InputError(option + " " + dir + ": expected a directory, found a file");
  const bool conflict = (found == RunDirKind::kScanRun || found == RunDirKind::kMerge ||
                         found == RunDirKind::kBatchRoot) &&
                        found != writing;
  if (conflict)
    throw InputError(option + " " + dir + ": holds " + run_dir_kind_name(found) + ", not " +
                     run_dir_kind_name(writing) +
                     "; writing there would mix the two, choose another directory");
}

}  // namespace tecscan
