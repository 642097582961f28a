#include "tecscan/precision.hpp"

#include <algorithm>
#include <cctype>

#include "tecscan/error.hpp"

namespace tecscan {

Precision parse_precision(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (n == "fp32") return Precision::kFp32;
  if (n == "3xtf32") return Precision::kTf32x3;
  if (n == "tf32") return Precision::kTf32;
  if (n == "bf16") return Precision::kBf16;
  throw InputError("unknown precision '" + name + "': expected fp32, 3xtf32, tf32 or bf16");
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return "fp32";
    case Precision::kTf32x3:
      return "3xtf32";
    case Precision::kTf32:
      return "tf32";
    case Precision::kBf16:
      return "bf16";
  }
  return "fp32";
}

}  // namespace tecscan
