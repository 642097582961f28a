// The message of the InputError a call throws, for tests that check what users are told.
#pragma once
#include <string>

#include "tecscan/error.hpp"

namespace tecscan::testing {

// The message of the InputError that f throws ("" when it throws none).
template <typename F>
std::string input_error(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace tecscan::testing
