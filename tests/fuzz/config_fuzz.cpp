// libFuzzer target: any bytes -> parse_config (the TOML of --config); then every line holding a
// '=' -> apply_overrides (--set "section.key=value") on top; then the round trip that
// config.used.toml relies on: parse_config(config_to_toml(c)) == c. The only acceptable outcomes
// are that equality or an InputError.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_check.hpp"
#include "tecscan/config.hpp"
#include "tecscan/error.hpp"

using tecscan_fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  tecscan::ScanConfig config;
  try {
    config = tecscan::parse_config(text, "fuzz-input");
  } catch (const tecscan::InputError&) {
  }
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find('=') == std::string::npos) continue;
    tecscan::ScanConfig overridden = config;  // a refused override leaves nothing behind
    try {
      tecscan::apply_overrides(overridden, {line});
      config = overridden;
    } catch (const tecscan::InputError&) {
    }
  }
  // A configuration that was accepted must be written so that it reads back the same.
  check(tecscan::parse_config(tecscan::config_to_toml(config), "config_to_toml") == config);
  return 0;
}
