// One place for the rules every command applies to its inputs: numbers and their ranges, files
// that must be regular files, outputs that must not replace an input, and which kind of run
// directory an output may go into. Each rule throws InputError naming the option or file
// (docs/errors.md lists them).
#pragma once
#include <limits>
#include <string>
#include <vector>

namespace tecscan {

// An interval of allowed values. NaN is never inside; an infinity only where that bound is an
// infinity and closed (quiet thresholds: "f107_max = inf" lets every F10.7 pass).
struct NumberRange {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;
  bool integer = false;  // whole numbers only

  bool contains(double x) const;
  // "an integer in [1, 100000]", "a number in (0, 1)", "a number > 0", "any number".
  std::string describe() const;
};

// Common ranges. Days: a window or a span in days, up to ten years.
inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr NumberRange kDaysRange{0, 3650};
// A great-circle distance on the Earth: up to half its circumference.
inline constexpr NumberRange kRadiusKmRange{0, 20016, true, false};
// A magnitude, as --event accepts it.
inline constexpr NumberRange kMagnitudeRange{-2, 10};

// Reads a whole decimal number from `text` (no trailing characters) and checks it against
// `range`; throws InputError "OPTION: expected RANGE, got 'TEXT'".
double parse_number_in(const std::string& text, const NumberRange& range,
                       const std::string& option);
// Empty when `text` is a number in `range`, else the message (for the CLI's validators).
std::string number_range_error(const std::string& text, const NumberRange& range);

// Throws InputError "PATH: not a file (a directory), expected WHAT" when `path` exists and is
// not a regular file (a directory, a device); a missing path is left to the reader.
void require_regular_file(const std::string& path, const std::string& what);

// Throws InputError when `output` is the same file or directory as one of `inputs` (compared
// by identity, so another spelling or a hard link is caught), or when `output` is a path
// inside one of them that is a directory and `inside_counts` (merge: its output would become
// one of its inputs' runs).
void require_output_not_input(const std::string& output, const std::vector<std::string>& inputs,
                              const std::string& option, bool inside_counts = false);

// What a directory holds, as the commands recognise it: a scan run (scan.h5 or
// config.used.toml), a merge (merge.h5), a batch root (a subdirectory that is a scan run).
enum class RunDirKind { kAbsent, kEmpty, kScanRun, kMerge, kBatchRoot, kOther };
RunDirKind run_dir_kind(const std::string& dir);
const char* run_dir_kind_name(RunDirKind kind);  // "a scan run", "a merge", ...
// Throws InputError when `dir` holds a run of another kind than `writing` (kScanRun, kMerge or
// kBatchRoot): a merge never goes into a scan run, a scan never into a merge, and so on.
void require_run_dir_kind(const std::string& dir, RunDirKind writing, const std::string& option);

}  // namespace tecscan
