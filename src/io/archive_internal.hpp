// What the archive writer and reader share: object names, root attribute names and a thin
// layer over the HDF5 C API for extendible datasets and hyperslabs (H5File has neither).
#pragma once
#include <hdf5.h>

#include <string>
#include <vector>

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

using hdf5::hdf5_errno;
using hdf5::hdf5_reason;
using hdf5::Id;
using hdf5::silence_hdf5_errors;
// Throws the failure of writing the archive obj belongs to (hdf5::write_failed), naming the
// archive (not its temp file) and the object.
[[noreturn]] void write_failed(hid_t obj, const std::string& what);
bool exists(hid_t file, const std::string& name);
Id open_dataset(hid_t file, const std::string& file_path, const std::string& name);

// Attributes (replacing an existing one).
void set_attr(hid_t obj, const std::string& name, double value);
void set_attr(hid_t obj, const std::string& name, long long value);
void set_attr(hid_t obj, const std::string& name, const std::string& value);
void set_float_attr(hid_t obj, const std::string& name, float value);  // CF _FillValue
// Readers throw InputError(file_path, 0, ...) naming the attribute when it is missing.
double attr_double(hid_t obj, const std::string& file_path, const std::string& name);
long long attr_int(hid_t obj, const std::string& file_path, const std::string& name);
std::string attr_string(hid_t obj, const std::string& file_path, const std::string& name);

// A dataset whose first dimension is unlimited, chunked, optionally shuffle+deflate, with a
// fill value (what unwritten chunks read as). Parent groups are created.
Id create_extendible(hid_t file, const std::string& name, hid_t file_type, hid_t mem_type,
                     const std::vector<hsize_t>& dims, const std::vector<hsize_t>& chunk,
                     const void* fill, bool deflate);
std::vector<hsize_t> shape(hid_t dataset);
void set_length(hid_t dataset, hsize_t first_dim);  // grows (or shrinks) the first dimension
// The box offset + count of a dataset, from / to a dense buffer of mem_type.
void write_box(hid_t dataset, hid_t mem_type, const std::vector<hsize_t>& offset,
               const std::vector<hsize_t>& count, const void* data);
void read_box(hid_t dataset, hid_t mem_type, const std::vector<hsize_t>& offset,
              const std::vector<hsize_t>& count, void* data);
// Variable-length UTF-8 strings: rows [offset, offset + values.size()) / the whole column.
Id string_type();
void write_strings(hid_t dataset, hsize_t offset, const std::vector<std::string>& values);
std::vector<std::string> read_strings(hid_t dataset);

}  // namespace tecscan::archive_io

namespace tecscan {
struct ArchiveInfo;
namespace archive_io {
// The root attributes and provenance of an open archive (file_path names it in errors).
ArchiveInfo load_info(hid_t file, const std::string& file_path);
// Opens an archive read-only, or throws InputError saying what the file is not.
Id open_archive(const std::string& path, unsigned flags);
}  // namespace archive_io
}  // namespace tecscan
