// Runs one GMT modern-mode script per figure and turns its failure into a readable error.
#include <sys/wait.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "plot_internal.hpp"
#include "tecscan/atomic_file.hpp"
#include "tecscan/error.hpp"

namespace tecscan::plot {

namespace fs = std::filesystem;

namespace {
std::string quote(const std::string& s) {  // single-quoted for bash
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}
std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

GmtFigure::GmtFigure(std::string name, const std::string& fig_dir, const std::string& work_dir,
                     const PlotOptions& options)
    : name_(std::move(name)), fig_dir_(fig_dir), work_dir_(work_dir), options_(options) {
  std::string formats = options.pdf ? "png,pdf" : "png";
  // A session name of its own: figures may be drawn concurrently (tests, several runs); the
  // trap removes it when the script fails before `gmt end`. GMT drops the spaces of a figure
  // path given to `gmt begin` (and then writes nothing) and reads a comma in a -C path as a list
  // of colours, so the script works in the work dir with names of its own, and render() moves
  // the finished figure to fig_dir.
  std::string session = "tecscan$$";  // GMT turns every other character into '#'
  for (char c : name_)
    if (std::isalnum(static_cast<unsigned char>(c))) session += c;
  script_ =
      "#!/usr/bin/env bash\nset -eu\nexport GMT_SESSION_NAME=" + session + "\n" +
      "trap 'rm -rf \"$(gmt --show-userdir)/sessions/gmt_session.$GMT_SESSION_NAME\"' EXIT\n" +
      "cd " + quote(work_dir_) + "\n" + "gmt begin " + quote(name_) + " " + formats + " E" +
      std::to_string(options.dpi) + "\n" +
      "gmt set FONT_ANNOT_PRIMARY 9p FONT_LABEL 10p FONT_TITLE 13p FONT_SUBTITLE 10p "
      "FONT_HEADING 13p FONT_TAG 10p MAP_FRAME_TYPE plain FORMAT_GEO_MAP ddd:mmF "
      "MAP_TITLE_OFFSET 6p\n";
}

GmtFigure& GmtFigure::operator<<(const std::string& line) {
  script_ += line + "\n";
  return *this;
}

std::string GmtFigure::data(const std::string& file_name, const std::string& text) {
  const std::string local_name = name_ + "_" + file_name;  // the script runs in the work dir
  const std::string path = work_dir_ + "/" + local_name;
  write_file_atomic(path, text);  // a full disk names the OS reason, not only the file
  return quote(local_name);
}

std::vector<std::string> GmtFigure::render() {
  if (!gmt_available())
    throw InputError(
        "gmt (Generic Mapping Tools >= 6) is not installed; install it with "
        "'apt-get install gmt gmt-gshhg-low gmt-dcw ghostscript' (or "
        "scripts/install-deps.sh)");
  const std::string script = work_dir_ + "/" + name_ + ".sh";
  const std::string log = work_dir_ + "/" + name_ + ".log";
  write_file_atomic(script, script_ + "gmt end\n");
  std::vector<std::string> extensions = {".png"};
  if (options_.pdf) extensions.push_back(".pdf");
  for (const auto& ext : extensions) {  // a figure of an earlier call (--keep-work) is no result
    std::error_code ec;
    fs::remove(work_dir_ + "/" + name_ + ext, ec);
  }
  const std::string cmd = "bash " + quote(script) + " > " + quote(log) + " 2>&1";
  const int status = std::system(cmd.c_str());
  std::string missing;
  for (const auto& ext : extensions)
    if (!fs::is_regular_file(work_dir_ + "/" + name_ + ext)) missing += " " + name_ + ext;
  if (status != 0 || !missing.empty()) {
    std::string gmt_said = read_file(log);
    if (gmt_said.size() > 2000) gmt_said = "..." + gmt_said.substr(gmt_said.size() - 2000);
    if (gmt_said.find_first_not_of(" \n") == std::string::npos) gmt_said = "(GMT printed nothing)";
    std::string what = "GMT wrote no" + missing;
    if (status == -1)
      what = "the script could not be started";
    else if (WIFSIGNALED(status))
      what = "the script was killed by signal " + std::to_string(WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
      what = "the script exited with status " + std::to_string(WEXITSTATUS(status));
    throw InputError(script, 0,
                     "GMT failed drawing " + name_ + ": " + what + "; GMT's output:\n" + gmt_said);
  }
  // Complete files only reach fig_dir, each replacing an older one at once.
  std::vector<std::string> files;
  for (const auto& ext : extensions) {
    const std::string target = fig_dir_ + "/" + name_ + ext;
    std::error_code ec;
    fs::rename(work_dir_ + "/" + name_ + ext, target, ec);
    if (ec) throw InputError(target, 0, "cannot move the figure here: " + ec.message());
    files.push_back(target);
  }
  return files;
}

std::string day_axis(double days) {
  if (days <= 20) return "-Bxa1f1";
  if (days <= 40) return "-Bxa2f1";
  if (days <= 100) return "-Bxa5f1";
  return "-Bxa10f5";
}

std::string script_text(const std::string& text) {
  std::string out;
  for (char c : text)
    if (c != '"' && c != '$' && c != '`' && c != '\\') out += c;
  return out;
}

std::string position_text(double lat, double lon) {
  const double wrapped = std::remainder(lon, 360.0);
  auto trim = [](double v) {
    std::string s = fmt(v, 2);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
  };
  return trim(std::fabs(lat)) + (lat < 0 ? "S " : "N ") + trim(std::fabs(wrapped)) +
         (wrapped < 0 ? "W" : "E");
}

std::string fmt(double v, int decimals) {
  if (!std::isfinite(v)) return "NaN";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string percent(double rate) {
  if (!std::isfinite(rate)) return "n/a";
  const double pc = 100 * rate;
  return fmt(pc, pc != 0 && std::fabs(pc) < 0.1 ? 3 : 2) + " %";
}

std::string p_text(double p) {
  if (!std::isfinite(p)) return "n/a";
  return fmt(p, p < 0.1 ? 1 + static_cast<int>(std::ceil(-std::log10(p))) : 2);
}

}  // namespace tecscan::plot

namespace tecscan {
bool gmt_available() {
  return std::system("gmt --version > /dev/null 2>&1") == 0;
}
}  // namespace tecscan
