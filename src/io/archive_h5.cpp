// The HDF5 C API layer of the archive: extendible chunked datasets, hyperslabs, attributes.
#include <hdf5.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "archive_internal.hpp"
#include "tecscan/error.hpp"

namespace tecscan::archive_io {
namespace {

// The name of the file and of the object obj refers to.
std::pair<std::string, std::string> names_of(hid_t obj) {
  char file[4096] = "", name[1024] = "";
  H5Fget_name(obj, file, sizeof file);
  H5Iget_name(obj, name, sizeof name);
  return {file, name};
}

[[noreturn]] void read_failed(hid_t obj, const std::string& what) {
  // Every HDF5 call clears the error stack: take what it says first.
  const int error_number = hdf5_errno();
  const std::string reason = hdf5_reason();
  const auto [file, name] = names_of(obj);
  // A read of a file open for writing can flush cached chunks: a full disk shows up here.
  Id file_id(H5Iget_file_id(obj), H5Fclose);
  unsigned intent = 0;
  if (error_number != 0 && H5Fget_intent(file_id.get(), &intent) >= 0 && (intent & H5F_ACC_RDWR))
    throw_write_failure(output_of(file), "'" + name + "' (flushing cached data while reading)",
                        error_number, reason);
  throw InputError(file, 0, name + ": " + what + reason);
}

Id selection(hid_t dataset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count) {
  Id space(H5Dget_space(dataset), H5Sclose);
  if (H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, offset.data(), nullptr, count.data(),
                          nullptr) < 0)
    read_failed(dataset, "hyperslab outside the dataset");
  return space;
}

}  // namespace

void write_failed(hid_t obj, const std::string& what) {
  const int error_number = hdf5_errno();  // before any other HDF5 call clears the stack
  const std::string reason = hdf5_reason();
  const auto [file, name] = names_of(obj);
  throw_write_failure(output_of(file), "'" + name + "'" + (what.empty() ? "" : " (" + what + ")"),
                      error_number, reason);
}

bool exists(hid_t file, const std::string& name) {
  // H5Lexists fails when a parent group is missing: check each prefix.
  for (size_t slash = name.find('/', 1);; slash = name.find('/', slash + 1)) {
    const std::string prefix = name.substr(0, slash);
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (slash == std::string::npos) return true;
  }
}

Id open_dataset(hid_t file, const std::string& file_path, const std::string& name) {
  if (!exists(file, name))
    throw InputError(file_path, 0,
                     "missing dataset '" + name + "' (expected a file written by tecscan archive)");
  Id ds(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) throw InputError(file_path, 0, "cannot open '" + name + "'" + hdf5_reason());
  return ds;
}

// ---- attributes -------------------------------------------------------------------------------

namespace {
void put_attr(hid_t obj, const std::string& name, hid_t file_type, hid_t mem_type,
              const void* value) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Id space(H5Screate(H5S_SCALAR), H5Sclose);
  Id a(H5Acreate2(obj, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a.ok() || H5Awrite(a.get(), mem_type, value) < 0)
    write_failed(obj, "attribute '" + name + "'");
}

Id get_attr(hid_t obj, const std::string& file_path, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InputError(
        file_path, 0,
        "missing attribute '" + name + "' (expected a file written by tecscan archive)");
  }
  return Id(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
}
}  // namespace

void set_attr(hid_t obj, const std::string& name, double value) {
  put_attr(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}
void set_attr(hid_t obj, const std::string& name, long long value) {
  put_attr(obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &value);
}
void set_float_attr(hid_t obj, const std::string& name, float value) {
  put_attr(obj, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, &value);
}
void set_attr(hid_t obj, const std::string& name, const std::string& value) {
  // Fixed-length UTF-8 text, what netCDF-4 writes for text attributes.
  Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), std::max<size_t>(1, value.size()));
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const std::string padded = value.empty() ? std::string(1, '\0') : value;
  put_attr(obj, name, type.get(), type.get(), padded.c_str());
}

double attr_double(hid_t obj, const std::string& file_path, const std::string& name) {
  Id a = get_attr(obj, file_path, name);
  double v = 0;
  if (!a.ok() || H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0)
    throw InputError(file_path, 0, "attribute '" + name + "' is not a number" + hdf5_reason());
  return v;
}

long long attr_int(hid_t obj, const std::string& file_path, const std::string& name) {
  Id a = get_attr(obj, file_path, name);
  Id type(H5Aget_type(a.get()), H5Tclose);
  long long v = 0;
  if (H5Tget_class(type.get()) != H5T_INTEGER || H5Aread(a.get(), H5T_NATIVE_LLONG, &v) < 0)
    throw InputError(file_path, 0, "attribute '" + name + "' is not an integer" + hdf5_reason());
  return v;
}

std::string attr_string(hid_t obj, const std::string& file_path, const std::string& name) {
  Id a = get_attr(obj, file_path, name);
  Id type(H5Aget_type(a.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0)
    throw InputError(file_path, 0, "attribute '" + name + "' is not fixed-length text");
  std::string text(H5Tget_size(type.get()) + 1, '\0');
  if (H5Aread(a.get(), type.get(), text.data()) < 0)
    throw InputError(file_path, 0, "cannot read attribute '" + name + "'" + hdf5_reason());
  return text.substr(0, text.find('\0'));
}

// ---- extendible datasets and hyperslabs --------------------------------------------------------

Id create_extendible(hid_t file, const std::string& name, hid_t file_type, hid_t mem_type,
                     const std::vector<hsize_t>& dims, const std::vector<hsize_t>& chunk,
                     const void* fill, bool deflate) {
  std::vector<hsize_t> max_dims = dims;
  max_dims[0] = H5S_UNLIMITED;
  Id space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data()), H5Sclose);
  Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
  if (fill) H5Pset_fill_value(dcpl.get(), mem_type, fill);
  if (deflate) {
    H5Pset_shuffle(dcpl.get());
    H5Pset_deflate(dcpl.get(), 4);
  }
  Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  Id ds(H5Dcreate2(file, name.c_str(), file_type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
        H5Dclose);
  if (!ds.ok()) write_failed(file, "creating dataset '" + name + "'");
  return ds;
}

std::vector<hsize_t> shape(hid_t dataset) {
  Id space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) read_failed(dataset, "cannot read the shape");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

void set_length(hid_t dataset, hsize_t first_dim) {
  std::vector<hsize_t> dims = shape(dataset);
  if (dims[0] == first_dim) return;
  dims[0] = first_dim;
  if (H5Dset_extent(dataset, dims.data()) < 0) write_failed(dataset, "resizing it");
}

void write_box(hid_t dataset, hid_t mem_type, const std::vector<hsize_t>& offset,
               const std::vector<hsize_t>& count, const void* data) {
  Id file_space = selection(dataset, offset, count);
  Id mem_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  if (H5Dwrite(dataset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0)
    write_failed(dataset, "");
}

void read_box(hid_t dataset, hid_t mem_type, const std::vector<hsize_t>& offset,
              const std::vector<hsize_t>& count, void* data) {
  Id file_space = selection(dataset, offset, count);
  Id mem_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  if (H5Dread(dataset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0)
    read_failed(dataset, "cannot read");
}

Id string_type() {
  Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

void write_strings(hid_t dataset, hsize_t offset, const std::vector<std::string>& values) {
  if (values.empty()) return;
  std::vector<const char*> ptrs;
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  Id type = string_type();
  write_box(dataset, type.get(), {offset}, {values.size()}, ptrs.data());
}

std::vector<std::string> read_strings(hid_t dataset) {
  const hsize_t n = shape(dataset)[0];
  std::vector<std::string> out(n);
  if (n == 0) return out;
  Id type = string_type();
  std::vector<char*> ptrs(n, nullptr);
  read_box(dataset, type.get(), {0}, {n}, ptrs.data());
  for (size_t i = 0; i < n; ++i) {
    if (ptrs[i]) out[i] = ptrs[i];
    H5free_memory(ptrs[i]);
  }
  return out;
}

}  // namespace tecscan::archive_io
