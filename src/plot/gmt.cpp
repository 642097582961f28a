// Runs one GMT modern-mode script per figure and turns its failure into a readable error.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "plot_internal.hpp"
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
  // A session name of its own: figures may be drawn concurrently (tests, several runs).
  script_ = "#!/usr/bin/env bash\nset -eu\nexport GMT_SESSION_NAME=tecscan_$$_" + name_ + "\n" +
            "cd " + quote(work_dir_) + "\n" + "gmt begin " + quote(fig_dir_ + "/" + name_) + " " +
            formats + " E" + std::to_string(options.dpi) + "\n" +
            "gmt set FONT_ANNOT_PRIMARY 9p FONT_LABEL 10p FONT_TITLE 13p FONT_SUBTITLE 10p "
            "FONT_HEADING 13p FONT_TAG 10p MAP_FRAME_TYPE plain FORMAT_GEO_MAP ddd:mmF "
            "MAP_TITLE_OFFSET 6p\n";
}

GmtFigure& GmtFigure::operator<<(const std::string& line) {
  script_ += line + "\n";
  return *this;
}

std::string GmtFigure::data(const std::string& file_name, const std::string& text) {
  std::string path = work_dir_ + "/" + name_ + "_" + file_name;
  std::ofstream out(path);
  out << text;
  if (!out) throw InputError(path, 0, "cannot write a GMT data file");
  return quote(path);
}

std::vector<std::string> GmtFigure::render() {
  if (!gmt_available())
    throw InputError(
        "gmt (Generic Mapping Tools >= 6) is not installed; install it with "
        "'apt-get install gmt gmt-gshhg-low gmt-dcw ghostscript' (or "
        "scripts/install-deps.sh)");
  const std::string script = work_dir_ + "/" + name_ + ".sh";
  const std::string log = work_dir_ + "/" + name_ + ".log";
  {
    std::ofstream out(script);
    out << script_ << "gmt end\n";
    if (!out) throw InputError(script, 0, "cannot write the GMT script");
  }
  const std::string cmd = "bash " + quote(script) + " > " + quote(log) + " 2>&1";
  int status = std::system(cmd.c_str());
  std::vector<std::string> files = {fig_dir_ + "/" + name_ + ".png"};
  if (options_.pdf) files.push_back(fig_dir_ + "/" + name_ + ".pdf");
  bool complete = status == 0;
  for (const auto& f : files) complete = complete && fs::is_regular_file(f);
  if (!complete) {
    std::string msg = read_file(log);
    if (msg.size() > 2000) msg = "..." + msg.substr(msg.size() - 2000);
    throw InputError(script, 0, "GMT failed drawing " + name_ + ":\n" + msg);
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
