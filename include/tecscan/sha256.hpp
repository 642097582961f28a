// SHA-256 (FIPS 180-4) of a file: runs and the archive's provenance trace their input data.
#pragma once
#include <cstdint>
#include <string>

namespace tecscan {

// Hex digest of the file's bytes; *bytes (when given) receives its size. Throws InputError
// when the file cannot be read.
std::string sha256_file(const std::string& path, uint64_t* bytes = nullptr);

}  // namespace tecscan
