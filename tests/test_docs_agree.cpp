// The documentation against the code: the ranges that docs/errors.md states for every option
// and config key, the choices that configs/default.toml lists for every string key, and the
// option lists of the README's command summary. Each is parsed from the document's text and
// checked against what the config loader and `tecscan <command> --help` actually do, so a
// change to either side alone fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/input_error.hpp"
#include "support/run_tecscan.hpp"
#include "tecscan/config.hpp"

namespace tecscan {
namespace {

using tecscan::testing::input_error;

std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(TECSCAN_SOURCE_DIR) + "/" + relative, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << relative;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> all_matches(const std::string& text, const std::regex& re, int group) {
  std::vector<std::string> found;
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
    found.push_back((*it)[group].str());
  return found;
}

std::string shortest(double x) {  // text that reads back as x (TOML accepts it as a float)
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// ---- ranges as the documents write them ---------------------------------------------------------

struct Range {
  double lo = -INFINITY, hi = INFINITY;
  bool lo_open = false, hi_open = false;
  bool integer = false;
  bool any = false;     // "any number, infinity allowed"
  bool finite = false;  // "finite": infinity refused
  bool operator==(const Range& o) const {
    return lo == o.lo && hi == o.hi && lo_open == o.lo_open && hi_open == o.hi_open;
  }
};

std::string describe(const Range& r) {
  if (r.any) return "any number";
  return std::string(r.integer ? "integer " : "number ") + (r.lo_open ? "(" : "[") +
         shortest(r.lo) + ", " + shortest(r.hi) + (r.hi_open ? ")" : "]");
}

// "integer in [1, 100000]", "number in (0, 1)", "number > 0, finite", "integer >= 0",
// "any number, infinity allowed", "a non-empty list of numbers in (0, 10]", also the --help
// forms "1..100000", "[1 - 100000000]", "(0, 20016]". Empty when the text states no range.
std::optional<Range> parse_range(const std::string& text) {
  static const std::regex bracket(
      R"(([\[(])\s*(-?[0-9.e+]+)\s*(?:,|\s-)\s*(-?[0-9.e+]+)\s*([\])]))");
  static const std::regex dots(R"((-?\d+)\.\.(-?\d+))");
  static const std::regex at_least(R"((>=|>)\s*(-?[0-9.]+))");
  Range r;
  r.integer = text.find("integer") != std::string::npos;
  r.finite = text.find("finite") != std::string::npos;
  std::smatch m;
  if (text.find("any number") != std::string::npos) {
    r.any = true;
  } else if (std::regex_search(text, m, bracket)) {
    r.lo_open = m[1] == "(";
    r.lo = std::stod(m[2]);
    r.hi = std::stod(m[3]);
    r.hi_open = m[4] == ")";
  } else if (std::regex_search(text, m, dots)) {
    r.lo = std::stod(m[1]);
    r.hi = std::stod(m[2]);
    r.integer = true;
  } else if (std::regex_search(text, m, at_least)) {
    r.lo_open = m[1] == ">";
    r.lo = std::stod(m[2]);
    r.hi_open = true;
  } else {
    return std::nullopt;
  }
  return r;
}

// One row of the table under "## Numbers" in docs/errors.md.
struct RangeRow {
  std::string text;                                          // the row as written
  std::vector<std::string> keys;                             // "train.epochs"
  std::vector<std::pair<std::string, std::string>> options;  // ("scan", "--epochs")
  std::string rule;                                          // the "allowed" column
};

std::vector<RangeRow> errors_md_ranges() {
  const std::string doc = read_source("docs/errors.md");
  const size_t start = doc.find("## Numbers");
  EXPECT_NE(start, std::string::npos) << "docs/errors.md has no '## Numbers' section";
  const size_t end = doc.find("\n## ", start + 1);
  std::vector<RangeRow> rows;
  static const std::regex ticked("`([^`]+)`");
  static const std::regex section_key(R"(^\[(\w+)\] (\w+)$)");
  static const std::regex bare_key(R"(^[a-z0-9_]+$)");
  static const std::regex command_option(R"(^(\w+) (--[\w-]+)$)");
  for (const std::string& line : lines_of(doc.substr(start, end - start))) {
    if (line.rfind("| ", 0) != 0 || line.find("---") != std::string::npos) continue;
    const size_t bar = line.find(" | ", 2);
    if (bar == std::string::npos) continue;
    RangeRow row;
    row.text = line;
    const std::string what = line.substr(2, bar - 2);
    row.rule = line.substr(bar + 3);
    if (what == "option or key") continue;  // the header
    std::string section;
    std::vector<std::string> commands;
    bool after_option = false;  // `--days-after` after `scan --days-before` shares its commands
    for (const std::string& tok : all_matches(what, ticked, 1)) {
      std::smatch m;
      if (std::regex_match(tok, m, section_key)) {
        section = m[1];
        row.keys.push_back(section + "." + m[2].str());
      } else if (std::regex_match(tok, m, command_option)) {
        if (after_option) commands.clear();
        commands.push_back(m[1]);
        for (const std::string& c : commands) row.options.push_back({c, m[2]});
        after_option = true;
      } else if (tok.rfind("--", 0) == 0) {
        for (const std::string& c : commands) row.options.push_back({c, tok});
      } else if (std::regex_match(tok, bare_key)) {
        if (!section.empty() && !after_option) {
          row.keys.push_back(section + "." + tok);
        } else {  // a command: `ingest`/`scan --days-before`
          if (after_option) commands.clear();
          after_option = false;
          commands.push_back(tok);
        }
      }
    }
    rows.push_back(row);
  }
  return rows;
}

// ---- the config loader at a documented range's edges --------------------------------------------

// Defaults, with the partner keys of the two cross-key rules at their widest and only the MLP
// among the networks (an architecture a window of 1 can build), so that each key's own range
// is what decides.
ScanConfig probe_base() {
  ScanConfig c;
  c.scan.models = {"mlp"};
  c.detect.median_iqr_days = 3650;
  c.detect.median_iqr_min_history = 1;
  c.quiet.dst_min = -INFINITY;
  c.quiet.dst_max = INFINITY;
  return c;
}

bool accepts(const std::string& key, const std::string& value, std::string* why = nullptr) {
  ScanConfig c = probe_base();
  const std::string msg = input_error([&] { apply_setting(c, key, value, "docs-agree"); });
  if (why) *why = msg;
  return msg.empty();
}

void expect_key_has_range(const std::string& key, const Range& r, bool list) {
  SCOPED_TRACE(key + ": " + describe(r));
  auto value = [&](double x) {
    const std::string text = r.integer && std::isfinite(x) && x == std::floor(x)
                                 ? std::to_string(static_cast<long long>(x))
                                 : shortest(x);
    return list ? "[" + text + "]" : text;
  };
  auto yes = [&](double x) {
    std::string why;
    EXPECT_TRUE(accepts(key, value(x), &why)) << value(x) << " refused: " << why;
  };
  auto no = [&](double x) { EXPECT_FALSE(accepts(key, value(x))) << value(x) << " accepted"; };
  EXPECT_FALSE(accepts(key, list ? "[nan]" : "nan")) << "NaN accepted";
  if (r.any) {
    yes(1e300);
    yes(-1e300);
    yes(key.size() > 4 && key.substr(key.size() - 4) == "_min" ? -INFINITY : INFINITY);
    return;
  }
  const double step = r.integer ? 1 : 1e-6 * std::max(1.0, std::abs(r.lo));
  if (r.lo_open) {
    no(r.lo);
    yes(r.lo + step);
  } else {
    yes(r.lo);
    no(r.lo - step);
  }
  if (std::isinf(r.hi)) {
    yes(r.lo + 1e6);
    if (r.finite || r.integer) no(INFINITY);
  } else {
    const double hstep = r.integer ? 1 : 1e-6 * std::max(1.0, std::abs(r.hi));
    if (r.hi_open) {
      no(r.hi);
      yes(r.hi - hstep);
    } else {
      yes(r.hi);
      no(r.hi + hstep);
    }
  }
  if (r.integer) no(r.lo + (r.lo_open ? 1.5 : 0.5));  // whole numbers only
}

// "min_history <= days", "dst_min < dst_max": the later key's shortened name resolved among
// the row's keys.
void expect_cross_key_rule(const RangeRow& row) {
  static const std::regex rule(R"((\w+) (<=|<) (\w+))");
  std::smatch m;
  if (!std::regex_search(row.rule, m, rule)) return;
  auto resolve = [&](const std::string& short_name) {
    for (const std::string& k : row.keys)
      if (k.size() >= short_name.size() &&
          k.compare(k.size() - short_name.size(), short_name.size(), short_name) == 0)
        return k;
    ADD_FAILURE() << row.text << ": no key named like " << short_name;
    return std::string();
  };
  const std::string lesser = resolve(m[1]), greater = resolve(m[3]);
  if (lesser.empty() || greater.empty()) return;
  const bool or_equal = m[2] == "<=";
  SCOPED_TRACE(row.text);
  ScanConfig c;
  apply_setting(c, greater, "20", "docs-agree");
  ScanConfig equal = c, below = c, above = c;
  EXPECT_EQ(input_error([&] { apply_setting(equal, lesser, "20", "docs-agree"); }).empty(),
            or_equal)
      << lesser << " = " << greater;
  EXPECT_EQ(input_error([&] { apply_setting(below, lesser, "19", "docs-agree"); }), "");
  EXPECT_NE(input_error([&] { apply_setting(above, lesser, "21", "docs-agree"); }), "");
}

// Numeric keys of the effective configuration ("train.epochs"), from config_to_toml.
std::set<std::string> numeric_config_keys() {
  std::set<std::string> keys;
  std::string section;
  static const std::regex number(R"(^\[?-?(inf|nan|[0-9.e+-]+)(,.*)?\]?$)");
  for (const std::string& line : lines_of(config_to_toml(ScanConfig()))) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    const size_t eq = line.find(" = ");
    if (eq != std::string::npos && std::regex_match(line.substr(eq + 3), number))
      keys.insert(section + "." + line.substr(0, eq));
  }
  return keys;
}

TEST(DocsAgree, ErrorsMdRangesAreTheConfigLoadersRanges) {
  std::set<std::string> documented;
  int probed = 0;
  for (const RangeRow& row : errors_md_ranges()) {
    if (row.keys.empty()) continue;
    const std::optional<Range> r = parse_range(row.rule);
    if (!r) continue;  // a list of names (models): the choice tests below
    const bool list = row.rule.find("list of numbers") != std::string::npos;
    for (const std::string& key : row.keys) {
      documented.insert(key);
      expect_key_has_range(key, *r, list);
      ++probed;
    }
    expect_cross_key_rule(row);
  }
  EXPECT_GE(probed, 30) << "docs/errors.md's table of ranges was not found or not parsed";
  // Every numeric key of the configuration has its range documented.
  for (const std::string& key : numeric_config_keys())
    EXPECT_TRUE(documented.count(key)) << key << " is missing from docs/errors.md, '## Numbers'";
}

// ---- the CLI's --help against the same table ----------------------------------------------------

const std::string& help_of(const std::string& command) {
  static std::map<std::string, std::string> cache;
  auto it = cache.find(command);
  if (it == cache.end()) {
    tecscan::testing::CliResult r = tecscan::testing::run_tecscan(command + " --help");
    EXPECT_EQ(r.status, 0) << command << " --help: " << r.output;
    it = cache.emplace(command, r.output).first;
  }
  return it->second;
}

// The help entry of one option: its first line (names, type, validator) and the description
// lines up to the next option.
std::string help_entry(const std::string& help, const std::string& option) {
  const std::vector<std::string> lines = lines_of(help);
  const std::regex names("^\\s+(-\\w,)?(--[\\w-]+,)*" + option + "[ ,=:]");
  size_t first = 0;  // past the examples, which use the options too
  while (first < lines.size() && lines[first].rfind("Options:", 0) != 0) ++first;
  for (size_t i = first; i < lines.size(); ++i) {
    if (!std::regex_search(lines[i] + " ", names)) continue;
    std::string entry = lines[i];
    for (size_t j = i + 1; j < lines.size(); ++j) {
      const size_t indent = lines[j].find_first_not_of(' ');
      if (indent == std::string::npos || (indent <= 4 && lines[j][indent] == '-')) break;
      entry += " " + lines[j].substr(indent);
    }
    return entry;
  }
  return "";
}

TEST(DocsAgree, ErrorsMdRangesAreTheCommandLineRanges) {
  int compared = 0;
  for (const RangeRow& row : errors_md_ranges()) {
    const std::optional<Range> doc = parse_range(row.rule);
    if (!doc) continue;
    for (const auto& [command, option] : row.options) {
      SCOPED_TRACE(row.text);
      const std::string entry = help_entry(help_of(command), option);
      ASSERT_FALSE(entry.empty()) << command << " --help has no " << option;
      const std::optional<Range> help = parse_range(entry);
      ASSERT_TRUE(help.has_value())
          << command << " " << option << ": no range in --help: " << entry;
      EXPECT_TRUE(*doc == *help) << command << " " << option << ": docs/errors.md says "
                                 << describe(*doc) << ", --help says " << describe(*help);
      // The value's type as CLI11 prints it (INT or FLOAT) against "integer" / "number".
      const bool help_int = entry.find(" INT") != std::string::npos;
      const bool help_float = entry.find(" FLOAT") != std::string::npos;
      if (help_int || help_float) {
        EXPECT_EQ(doc->integer, help_int) << command << " " << option << ": " << entry;
      }
      ++compared;
    }
  }
  EXPECT_GE(compared, 15) << "docs/errors.md's table of option ranges was not found or parsed";
}

// ---- choices ------------------------------------------------------------------------------------

// The names an error message offers: 'expected "a", "b" or "c", got "x"', 'expected one of
// a, b, c'.
std::set<std::string> offered_names(const std::string& message) {
  const size_t at = message.rfind("expected");
  std::string list = message.substr(at == std::string::npos ? 0 : at + 8);
  list = list.substr(0, list.find(", got"));
  static const std::regex word(R"([a-z0-9][a-z0-9-]*)");  // "3xtf32" starts with a digit
  std::set<std::string> names;
  for (const std::string& w : all_matches(list, word, 0))
    if (w != "one" && w != "of" && w != "or") names.insert(w);
  return names;
}

std::string join(const std::set<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

TEST(DocsAgree, DefaultTomlChoicesAreTheConfigLoadersChoices) {
  static const std::regex key_line(R"(^(\w+) = (.*)$)");
  static const std::regex quoted(R"re("([a-z0-9-]+)")re");
  std::string section, comments;
  int checked = 0;
  for (const std::string& line : lines_of(read_source("configs/default.toml"))) {
    std::smatch m;
    if (line.rfind("#", 0) == 0) {
      comments += line + "\n";
      continue;
    }
    if (line.rfind("[", 0) == 0) {
      section = line.substr(1, line.find(']') - 1);
      comments.clear();
      continue;
    }
    if (!std::regex_match(line, m, key_line)) {
      comments.clear();
      continue;
    }
    const std::string key = section + "." + m[1].str();
    std::string value = m[2];
    const size_t hash = value.find('#');
    const std::string trailing = hash == std::string::npos ? "" : value.substr(hash);
    const std::string block = comments + trailing;
    comments.clear();
    if (value.empty() || value[0] != '"') continue;  // string keys only
    std::set<std::string> documented;
    for (const std::string& name : all_matches(block, quoted, 1)) documented.insert(name);
    SCOPED_TRACE(key + ": configs/default.toml lists " + join(documented));
    EXPECT_GE(documented.size(), 2u) << "the comment above the key lists no choices";
    for (const std::string& name : documented) {
      std::string why;
      EXPECT_TRUE(accepts(key, "\"" + name + "\"", &why)) << name << " refused: " << why;
    }
    std::string refusal;
    EXPECT_FALSE(accepts(key, "\"no-such-choice\"", &refusal));
    std::set<std::string> offered = offered_names(refusal);
    offered.erase("no-such-choice");
    EXPECT_EQ(join(offered), join(documented)) << "the loader offers: " << refusal;
    ++checked;
  }
  EXPECT_GE(checked, 9) << "no string keys found in configs/default.toml";
}

// The README's command summary: `[--device auto|cpu|cuda]`, `[--models mlp,cnn,...]`.
TEST(DocsAgree, ReadmeScanOptionListsAreTheCli) {
  const std::string readme = read_source("README.md");
  const std::string& help = help_of("scan");
  static const std::regex listed(R"(\[--([\w-]+) ([a-z0-9-]+(?:[|,][a-z0-9-]+)+)\])");
  static const std::regex word(R"([a-z0-9-]+)");
  int compared = 0;
  for (std::sregex_iterator it(readme.begin(), readme.end(), listed), end; it != end; ++it) {
    const std::string option = "--" + (*it)[1].str();
    std::set<std::string> doc;
    for (const std::string& w : all_matches((*it)[2].str(), word, 0)) doc.insert(w);
    const std::string entry = help_entry(help, option);
    ASSERT_FALSE(entry.empty()) << "scan --help has no " << option;
    // CLI11 prints a set of choices as {a,b,c}; --models lists them after "detectors:".
    std::smatch m;
    std::string cli_list;
    if (std::regex_search(entry, m, std::regex(R"(\{([a-z0-9,-]+)\})")))
      cli_list = m[1];
    else if (std::regex_search(entry, m, std::regex(R"(detectors: ([a-z0-9,-]+))")))
      cli_list = m[1];
    ASSERT_FALSE(cli_list.empty()) << option << ": no list of choices in --help: " << entry;
    std::set<std::string> cli;
    for (const std::string& w : all_matches(cli_list, word, 0)) cli.insert(w);
    SCOPED_TRACE(option + ": README lists " + join(doc) + "; --help lists " + join(cli));
    for (const std::string& name : doc) EXPECT_TRUE(cli.count(name)) << name;
    // A choice the README leaves out of the list is one it names as an alias.
    for (const std::string& name : cli) {
      if (doc.count(name)) continue;
      const std::regex called_alias("`" + option + " " + name + "`[^.]*alias");
      EXPECT_TRUE(std::regex_search(readme, called_alias))
          << name << " is accepted but the README neither lists it nor calls it an alias";
    }
    ++compared;
  }
  EXPECT_GE(compared, 3) << "the README's scan summary lists no option choices";
}

// The detectors: README summary = [scan] models of the defaults = the loader's list.
TEST(DocsAgree, ReadmeModelsAreTheDefaultDetectors) {
  std::smatch m;
  const std::string readme = read_source("README.md");
  ASSERT_TRUE(std::regex_search(readme, m, std::regex(R"(\[--models ([a-z0-9,-]+)\])")));
  std::string defaults;
  for (const std::string& name : ScanConfig().scan.models)
    defaults += (defaults.empty() ? "" : ",") + name;
  EXPECT_EQ(m[1].str(), defaults);
  ScanConfig c;
  const std::string refusal =
      input_error([&] { apply_setting(c, "scan.models", "mlp,no-such-model", "docs-agree"); });
  EXPECT_NE(refusal.find("valid: " + std::regex_replace(defaults, std::regex(","), ", ")),
            std::string::npos)
      << refusal;
}

}  // namespace
}  // namespace tecscan
