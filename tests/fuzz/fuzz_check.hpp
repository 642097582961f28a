// What every fuzz target may assert beyond "parses or throws InputError": an invariant of the
// parsed result. A broken one aborts, so libFuzzer saves the input as a crash.
#pragma once

namespace tecscan_fuzz {

inline void check(bool invariant) {
  if (!invariant) __builtin_trap();
}

}  // namespace tecscan_fuzz
