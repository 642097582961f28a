#include "tecscan/h5file.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "hdf5_common.hpp"
#include "tecscan/error.hpp"

namespace tecscan {

static_assert(std::is_same<hid_t, int64_t>::value, "H5File stores hid_t as int64_t");

namespace {

using Handle = hdf5::Id;
using hdf5::hdf5_reason;
using hdf5::silence_hdf5_errors;
using hdf5::write_failed;

template <typename T>
struct H5Types;
template <>
struct H5Types<float> {
  static hid_t mem() { return H5T_NATIVE_FLOAT; }
  static hid_t file() { return H5T_IEEE_F32LE; }
};
template <>
struct H5Types<double> {
  static hid_t mem() { return H5T_NATIVE_DOUBLE; }
  static hid_t file() { return H5T_IEEE_F64LE; }
};
template <>
struct H5Types<uint8_t> {
  static hid_t mem() { return H5T_NATIVE_UINT8; }
  static hid_t file() { return H5T_STD_U8LE; }
};
template <>
struct H5Types<int32_t> {
  static hid_t mem() { return H5T_NATIVE_INT32; }
  static hid_t file() { return H5T_STD_I32LE; }
};
template <>
struct H5Types<int64_t> {
  static hid_t mem() { return H5T_NATIVE_INT64; }
  static hid_t file() { return H5T_STD_I64LE; }
};

// Property list that creates missing parent groups ("/indices/kp" creates "/indices").
Handle link_create_plist() {
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  return lcpl;
}

// Fixed-length UTF-8 string type (what netCDF-4 writes for text attributes).
Handle string_type(size_t length) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), std::max<size_t>(1, length));
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

// Reads string data of either kind (variable or fixed length) from a dataset or attribute.
template <typename ReadFn>
std::vector<std::string> read_strings(hid_t file_type, size_t count, ReadFn read) {
  std::vector<std::string> out(count);
  if (H5Tis_variable_str(file_type) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(file_type));
    std::vector<char*> ptrs(count, nullptr);
    if (read(mem.get(), ptrs.data()) < 0) return {};
    for (size_t i = 0; i < count; ++i) {
      if (ptrs[i]) out[i] = ptrs[i];
      H5free_memory(ptrs[i]);
    }
  } else {
    const size_t size = H5Tget_size(file_type);
    Handle mem(H5Tcopy(file_type), H5Tclose);
    std::vector<char> buf(count * size + 1, '\0');
    if (read(mem.get(), buf.data()) < 0) return {};
    for (size_t i = 0; i < count; ++i) {
      const char* s = buf.data() + i * size;
      out[i].assign(s, std::find(s, s + size, '\0'));
    }
  }
  return out;
}

size_t product(const std::vector<size_t>& dims) {
  size_t n = 1;
  for (size_t d : dims) n *= d;
  return n;
}

}  // namespace

// ---- life cycle -------------------------------------------------------------------------------

H5File H5File::create(const std::string& path) {
  silence_hdf5_errors();
  H5File f;
  f.path_ = path;
  f.output_ = std::make_unique<AtomicFile>(path);
  f.file_ = H5Fcreate(f.output_->temp_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f.file_ < 0) write_failed(path, "the HDF5 file (creating '" + f.output_->temp_path() + "')");
  return f;
}

H5File H5File::open_read(const std::string& path) {
  silence_hdf5_errors();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path, 0, "no such file (expected an HDF5 file)");
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InputError(path, 0, "not an HDF5 file (expected a file written by tecscan)");
  }
  H5File f;
  f.path_ = path;
  f.file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f.file_ < 0) throw InputError(path, 0, "cannot open the HDF5 file" + hdf5_reason());
  return f;
}

H5File::H5File(H5File&& other) noexcept
    : path_(std::move(other.path_)), file_(other.file_), output_(std::move(other.output_)) {
  other.file_ = -1;
}

H5File& H5File::operator=(H5File&& other) noexcept {
  if (this != &other) {
    close();
    output_.reset();
    path_ = std::move(other.path_);
    file_ = other.file_;
    output_ = std::move(other.output_);
    other.file_ = -1;
  }
  return *this;
}

H5File::~H5File() {
  close();
}  // output_ then removes an uncommitted temp file

void H5File::close() noexcept {
  if (file_ >= 0) H5Fclose(file_);
  file_ = -1;
}

void H5File::commit() {
  if (!output_) throw std::logic_error(path_ + ": commit() on a file opened for reading");
  if (file_ >= 0 && H5Fclose(file_) < 0) {
    file_ = -1;
    write_failed(path_, "the HDF5 file (closing it)");
  }
  file_ = -1;
  output_->commit();
}

// ---- writing ----------------------------------------------------------------------------------

void H5File::create_group(const std::string& name) {
  if (has(name)) return;
  Handle lcpl = link_create_plist();
  Handle g(H5Gcreate2(file_, name.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g.ok()) write_failed(path_, "group '" + name + "'");
}

template <typename T>
void H5File::write_numeric(const std::string& name, const std::vector<T>& data,
                           const std::vector<size_t>& dims, const H5Attrs& attrs) {
  if (file_ < 0 || !output_)
    throw std::logic_error(path_ + ": write '" + name + "' to a file not open for writing");
  if (dims.empty() || product(dims) != data.size())
    throw std::invalid_argument(path_ + ": dataset '" + name + "': shape does not match " +
                                std::to_string(data.size()) + " values");
  if (has(name)) throw std::runtime_error(path_ + ": dataset '" + name + "' already exists");
  std::vector<hsize_t> shape(dims.begin(), dims.end());
  Handle space(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (shape.size() >= 2 && data.size() > 0) {
    // Chunks of about 64 Ki values, whole rows first: per-node reads touch few chunks.
    std::vector<hsize_t> chunk(shape.size());
    hsize_t budget = 65536;
    for (size_t i = shape.size(); i-- > 0;) {
      chunk[i] = std::min(shape[i], budget);
      budget = std::max<hsize_t>(1, budget / chunk[i]);
    }
    H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
    H5Pset_shuffle(dcpl.get());
    H5Pset_deflate(dcpl.get(), 4);
  }
  Handle lcpl = link_create_plist();
  Handle ds(H5Dcreate2(file_, name.c_str(), H5Types<T>::file(), space.get(), lcpl.get(), dcpl.get(),
                       H5P_DEFAULT),
            H5Dclose);
  if (!ds.ok()) write_failed(path_, "dataset '" + name + "' (creating it)");
  if (!data.empty() &&
      H5Dwrite(ds.get(), H5Types<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0)
    write_failed(path_, "dataset '" + name + "'");
  for (const H5Attr& a : attrs) set_attr(name, a);
}

void H5File::write(const std::string& name, const std::vector<float>& data,
                   const std::vector<size_t>& dims, const H5Attrs& attrs) {
  write_numeric(name, data, dims, attrs);
}
void H5File::write(const std::string& name, const std::vector<double>& data,
                   const std::vector<size_t>& dims, const H5Attrs& attrs) {
  write_numeric(name, data, dims, attrs);
}
void H5File::write(const std::string& name, const std::vector<uint8_t>& data,
                   const std::vector<size_t>& dims, const H5Attrs& attrs) {
  write_numeric(name, data, dims, attrs);
}
void H5File::write(const std::string& name, const std::vector<int32_t>& data,
                   const std::vector<size_t>& dims, const H5Attrs& attrs) {
  write_numeric(name, data, dims, attrs);
}
void H5File::write(const std::string& name, const std::vector<int64_t>& data,
                   const std::vector<size_t>& dims, const H5Attrs& attrs) {
  write_numeric(name, data, dims, attrs);
}

void H5File::write_string_list(const std::string& name, const std::vector<std::string>& values,
                               const H5Attrs& attrs) {
  if (file_ < 0 || !output_)
    throw std::logic_error(path_ + ": write '" + name + "' to a file not open for writing");
  if (has(name)) throw std::runtime_error(path_ + ": dataset '" + name + "' already exists");
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle lcpl = link_create_plist();
  Handle ds(H5Dcreate2(file_, name.c_str(), type.get(), space.get(), lcpl.get(), H5P_DEFAULT,
                       H5P_DEFAULT),
            H5Dclose);
  if (!ds.ok()) write_failed(path_, "dataset '" + name + "' (creating it)");
  std::vector<const char*> ptrs;
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  if (n > 0 && H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
    write_failed(path_, "dataset '" + name + "'");
  for (const H5Attr& a : attrs) set_attr(name, a);
}

void H5File::set_attr(const std::string& object, const H5Attr& attr) {
  const std::string where = "attribute '" + attr.name + "' of '" + object + "'";
  Handle obj(H5Oopen(file_, object.c_str(), H5P_DEFAULT), H5Oclose);
  if (!obj.ok()) write_failed(path_, where + " (opening '" + object + "')");
  if (H5Aexists(obj.get(), attr.name.c_str()) > 0) H5Adelete(obj.get(), attr.name.c_str());
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  hid_t file_type = H5T_IEEE_F64LE, mem_type = H5T_NATIVE_DOUBLE;
  const void* value = &attr.number;
  const float as_float = static_cast<float>(attr.number);
  Handle text_type = string_type(attr.text.size());
  const std::string padded = attr.text.empty() ? std::string(1, '\0') : attr.text;
  switch (attr.type) {
    case H5Attr::Type::kFloat:
      file_type = H5T_IEEE_F32LE, mem_type = H5T_NATIVE_FLOAT, value = &as_float;
      break;
    case H5Attr::Type::kDouble:
      break;
    case H5Attr::Type::kInt:
      file_type = H5T_STD_I64LE, mem_type = H5T_NATIVE_INT64, value = &attr.integer;
      break;
    case H5Attr::Type::kString:
      file_type = mem_type = text_type.get();
      value = padded.c_str();  // an empty string still needs one byte of storage
      break;
  }
  Handle a(
      H5Acreate2(obj.get(), attr.name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose);
  if (!a.ok() || H5Awrite(a.get(), mem_type, value) < 0) write_failed(path_, where);
}

void H5File::set_attr(const std::string& object, const std::string& name, double value) {
  set_attr(object, H5Attr(name, value));
}
void H5File::set_attr(const std::string& object, const std::string& name, int64_t value) {
  set_attr(object, H5Attr(name, value));
}
void H5File::set_attr(const std::string& object, const std::string& name, int value) {
  set_attr(object, H5Attr(name, value));
}
void H5File::set_attr(const std::string& object, const std::string& name, uint64_t value) {
  set_attr(object, H5Attr(name, value));
}
void H5File::set_attr(const std::string& object, const std::string& name,
                      const std::string& value) {
  set_attr(object, H5Attr(name, value));
}
void H5File::set_attr(const std::string& object, const std::string& name, const char* value) {
  set_attr(object, H5Attr(name, value));
}

void H5File::make_scale(const std::string& scale_dataset, const std::string& dim_name) {
  Handle ds(H5Dopen2(file_, scale_dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok() || H5DSset_scale(ds.get(), dim_name.c_str()) < 0)
    write_failed(path_, "'" + scale_dataset + "' as a dimension scale");
}

void H5File::attach_scale(const std::string& dataset, int dim, const std::string& scale_dataset) {
  Handle ds(H5Dopen2(file_, dataset.c_str(), H5P_DEFAULT), H5Dclose);
  Handle scale(H5Dopen2(file_, scale_dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok() || !scale.ok() ||
      H5DSattach_scale(ds.get(), scale.get(), static_cast<unsigned>(dim)) < 0)
    write_failed(path_, "scale '" + scale_dataset + "' on dimension " + std::to_string(dim) +
                            " of '" + dataset + "'");
}

// ---- reading ----------------------------------------------------------------------------------

bool H5File::has(const std::string& name) const {
  if (name.empty() || name == "/") return true;
  // H5Lexists fails (rather than returning false) when a parent is missing: walk the path.
  size_t pos = name[0] == '/' ? 1 : 0;
  while (true) {
    size_t slash = name.find('/', pos);
    std::string prefix = name.substr(0, slash);
    if (H5Lexists(file_, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (slash == std::string::npos || slash + 1 == name.size()) return true;
    pos = slash + 1;
  }
}

bool H5File::has_attr(const std::string& object, const std::string& name) const {
  if (!has(object)) return false;
  htri_t e = H5Aexists_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT);
  H5Eclear2(H5E_DEFAULT);
  return e > 0;
}

std::vector<size_t> H5File::dims(const std::string& name) const {
  if (!has(name)) throw InputError(path_, 0, "missing dataset '" + name + "'");
  Handle ds(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) throw InputError(path_, 0, "'" + name + "' is not a dataset" + hdf5_reason());
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) throw InputError(path_, 0, "cannot read the shape of '" + name + "'");
  std::vector<hsize_t> d(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), d.data(), nullptr);
  return std::vector<size_t>(d.begin(), d.end());
}

template <typename T>
std::vector<T> H5File::read_numeric(const std::string& name, std::vector<size_t>* dims_out) const {
  std::vector<size_t> shape = dims(name);
  Handle ds(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose);
  Handle type(H5Dget_type(ds.get()), H5Tclose);
  H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    throw InputError(path_, 0, "dataset '" + name + "' is not numeric");
  std::vector<T> out(product(shape));
  if (!out.empty() &&
      H5Dread(ds.get(), H5Types<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    throw InputError(path_, 0, "cannot read dataset '" + name + "'" + hdf5_reason());
  if (dims_out) *dims_out = shape;
  return out;
}

std::vector<float> H5File::read_float(const std::string& name) const {
  return read_numeric<float>(name, nullptr);
}
std::vector<float> H5File::read_float(const std::string& name, std::vector<size_t>& d) const {
  return read_numeric<float>(name, &d);
}
std::vector<double> H5File::read_double(const std::string& name) const {
  return read_numeric<double>(name, nullptr);
}
std::vector<double> H5File::read_double(const std::string& name, std::vector<size_t>& d) const {
  return read_numeric<double>(name, &d);
}
std::vector<uint8_t> H5File::read_uint8(const std::string& name) const {
  return read_numeric<uint8_t>(name, nullptr);
}
std::vector<int32_t> H5File::read_int32(const std::string& name) const {
  return read_numeric<int32_t>(name, nullptr);
}
std::vector<int64_t> H5File::read_int64(const std::string& name) const {
  return read_numeric<int64_t>(name, nullptr);
}

std::vector<std::string> H5File::read_string_list(const std::string& name) const {
  std::vector<size_t> shape = dims(name);
  Handle ds(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose);
  Handle type(H5Dget_type(ds.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING)
    throw InputError(path_, 0, "dataset '" + name + "' is not a list of strings");
  bool failed = false;
  std::vector<std::string> out =
      read_strings(type.get(), product(shape), [&](hid_t mem, void* buf) {
        herr_t r = H5Dread(ds.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        failed = r < 0;
        return r;
      });
  if (failed) throw InputError(path_, 0, "cannot read dataset '" + name + "'" + hdf5_reason());
  return out;
}

namespace {
// Opens an attribute, or throws InputError naming it.
hid_t open_attr(hid_t file, const std::string& path, const std::string& object,
                const std::string& name) {
  hid_t a = H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InputError(path, 0, "missing attribute '" + name + "' of '" + object + "'");
  }
  return a;
}
}  // namespace

double H5File::read_attr_double(const std::string& object, const std::string& name) const {
  Handle a(open_attr(file_, path_, object, name), H5Aclose);
  Handle type(H5Aget_type(a.get()), H5Tclose);
  H5T_class_t cls = H5Tget_class(type.get());
  double v = 0;
  if ((cls != H5T_FLOAT && cls != H5T_INTEGER) || H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0)
    throw InputError(path_, 0, "attribute '" + name + "' of '" + object + "' is not a number");
  return v;
}

int64_t H5File::read_attr_int(const std::string& object, const std::string& name) const {
  Handle a(open_attr(file_, path_, object, name), H5Aclose);
  Handle type(H5Aget_type(a.get()), H5Tclose);
  int64_t v = 0;
  if (H5Tget_class(type.get()) != H5T_INTEGER || H5Aread(a.get(), H5T_NATIVE_INT64, &v) < 0)
    throw InputError(path_, 0, "attribute '" + name + "' of '" + object + "' is not an integer");
  return v;
}

std::string H5File::read_attr_string(const std::string& object, const std::string& name) const {
  Handle a(open_attr(file_, path_, object, name), H5Aclose);
  Handle type(H5Aget_type(a.get()), H5Tclose);
  Handle space(H5Aget_space(a.get()), H5Sclose);
  hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (H5Tget_class(type.get()) != H5T_STRING || count < 0)
    throw InputError(path_, 0, "attribute '" + name + "' of '" + object + "' is not text");
  std::vector<std::string> parts =
      read_strings(type.get(), static_cast<size_t>(count),
                   [&](hid_t mem, void* buf) { return H5Aread(a.get(), mem, buf); });
  // A string-array attribute reads as its lines joined by newlines.
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "\n" : "") + parts[i];
  return out;
}

std::vector<std::string> H5File::attr_names(const std::string& object) const {
  Handle obj(H5Oopen(file_, object.c_str(), H5P_DEFAULT), H5Oclose);
  if (!obj.ok()) throw InputError(path_, 0, "missing object '" + object + "'");
  std::vector<std::string> names;
  hsize_t idx = 0;
  H5Aiterate2(
      obj.get(), H5_INDEX_NAME, H5_ITER_INC, &idx,
      [](hid_t, const char* n, const H5A_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->push_back(n);
        return 0;
      },
      &names);
  return names;
}

}  // namespace tecscan
