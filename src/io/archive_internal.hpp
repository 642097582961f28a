// What the archive writer and reader share: object and attribute names, and the archive's view
// of the HDF5 layer (hdf5_common.hpp).
#pragma once
#include <string>

#include "hdf5_common.hpp"

namespace tecscan::archive_io {

constexpr int kFormatVersion = 1;
constexpr const char* kTitle = "tecscan global TEC archive";
constexpr const char* kTimeUnits = "seconds since 1970-01-01 00:00:00";

// Provenance columns, one row per UTC day (docs/archive.md describes each).
constexpr const char* kColDay = "/provenance/day";
constexpr const char* kColStatus = "/provenance/status";
constexpr const char* kColPath = "/provenance/path";
constexpr const char* kColBytes = "/provenance/bytes";
constexpr const char* kColSha256 = "/provenance/sha256";
constexpr const char* kColProgram = "/provenance/program";
constexpr const char* kColAgency = "/provenance/agency";
constexpr const char* kColNumMaps = "/provenance/n_maps";
constexpr const char* kColFirstMap = "/provenance/first_map";
constexpr const char* kColLastMap = "/provenance/last_map";

using hdf5::Id;

// A dataset of the archive, or InputError saying the file is not a complete archive.
inline Id open_dataset(hid_t file, const std::string& name) {
  return hdf5::open_dataset(file, name, " (expected a file written by tecscan archive)");
}

}  // namespace tecscan::archive_io

namespace tecscan {
struct ArchiveInfo;
namespace archive_io {
// The root attributes and provenance of an open archive (file_path names it in errors).
ArchiveInfo load_info(hid_t file, const std::string& file_path);
// Opens an archive, or throws InputError saying what the file is not.
Id open_archive(const std::string& path, hdf5::Access access);
}  // namespace archive_io
}  // namespace tecscan
