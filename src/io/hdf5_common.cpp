// The HDF5 C API layer shared by H5File and the archive (hdf5_common.hpp): every HDF5 call that
// creates a dataspace, a dataset, an attribute or a dimension scale is in this file.
#include "hdf5_common.hpp"

#include <hdf5_hl.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <utility>
#include <vector>

#include "tecscan/atomic_file.hpp"
#include "tecscan/error.hpp"
#include "tecscan/parallel.hpp"

namespace tecscan::hdf5 {
namespace {

template <typename T>
struct Types;
template <>
struct Types<float> {
  static hid_t mem() { return H5T_NATIVE_FLOAT; }
  static hid_t file() { return H5T_IEEE_F32LE; }
};
template <>
struct Types<double> {
  static hid_t mem() { return H5T_NATIVE_DOUBLE; }
  static hid_t file() { return H5T_IEEE_F64LE; }
};
template <>
struct Types<uint8_t> {
  static hid_t mem() { return H5T_NATIVE_UINT8; }
  static hid_t file() { return H5T_STD_U8LE; }
};
template <>
struct Types<int32_t> {
  static hid_t mem() { return H5T_NATIVE_INT32; }
  static hid_t file() { return H5T_STD_I32LE; }
};
template <>
struct Types<int64_t> {
  static hid_t mem() { return H5T_NATIVE_INT64; }
  static hid_t file() { return H5T_STD_I64LE; }
};

// The output obj's file belongs to (not the temp file of an AtomicFile) and obj's own name.
std::pair<std::string, std::string> names_of(hid_t obj) {
  char file[4096] = "", name[1024] = "";
  H5Fget_name(obj, file, sizeof file);
  H5Iget_name(obj, name, sizeof name);
  return {output_of(file), name};
}

std::string file_of(hid_t obj) {
  return names_of(obj).first;
}

// Property list that creates missing parent groups ("/indices/kp" creates "/indices").
Id link_create_plist() {
  Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  return lcpl;
}

// Fixed-length UTF-8 text (what netCDF-4 writes for text attributes).
Id fixed_string_type(size_t length) {
  Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), std::max<size_t>(1, length));
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

Id variable_string_type(H5T_cset_t cset = H5T_CSET_UTF8) {
  Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), cset);
  return type;
}

// Reads `count` strings of either kind (variable or fixed length) through read(mem_type, buf);
// false when read fails.
template <typename ReadFn>
bool read_text(hid_t file_type, size_t count, std::vector<std::string>& out, ReadFn read) {
  out.assign(count, std::string());
  if (H5Tis_variable_str(file_type) > 0) {
    Id mem = variable_string_type(H5Tget_cset(file_type));
    std::vector<char*> ptrs(count, nullptr);
    if (read(mem.get(), ptrs.data()) < 0) return false;
    for (size_t i = 0; i < count; ++i) {
      if (ptrs[i]) out[i] = ptrs[i];
      H5free_memory(ptrs[i]);
    }
    return true;
  }
  const size_t size = H5Tget_size(file_type);
  Id mem(H5Tcopy(file_type), H5Tclose);
  std::vector<char> buf(count * size + 1, '\0');
  if (read(mem.get(), buf.data()) < 0) return false;
  for (size_t i = 0; i < count; ++i) {
    const char* s = buf.data() + i * size;
    out[i].assign(s, std::find(s, s + size, '\0'));
  }
  return true;
}

// The file and memory dataspaces of a box (H5S_ALL for both when offset is empty).
struct Selection {
  Id file_space, mem_space;
  hid_t file() const { return file_space.ok() ? file_space.get() : H5S_ALL; }
  hid_t mem() const { return mem_space.ok() ? mem_space.get() : H5S_ALL; }
};

Selection select_box(hid_t dataset, const std::vector<hsize_t>& offset,
                     const std::vector<hsize_t>& count) {
  Selection s;
  if (offset.empty()) return s;
  s.file_space = Id(H5Dget_space(dataset), H5Sclose);
  if (H5Sselect_hyperslab(s.file_space.get(), H5S_SELECT_SET, offset.data(), nullptr, count.data(),
                          nullptr) < 0)
    read_failed(dataset, "hyperslab outside the dataset");
  s.mem_space =
      Id(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  return s;
}

bool empty_box(const std::vector<hsize_t>& count) {
  return std::any_of(count.begin(), count.end(), [](hsize_t n) { return n == 0; });
}

void write_raw(hid_t dataset, hid_t mem_type, const std::vector<hsize_t>& offset,
               const std::vector<hsize_t>& count, const void* data) {
  if (empty_box(count)) return;
  Selection s = select_box(dataset, offset, count);
  if (H5Dwrite(dataset, mem_type, s.mem(), s.file(), H5P_DEFAULT, data) < 0)
    write_failed(dataset, "");
}

void read_raw(hid_t dataset, hid_t mem_type, const std::vector<hsize_t>& offset,
              const std::vector<hsize_t>& count, void* data) {
  if (empty_box(count)) return;
  Selection s = select_box(dataset, offset, count);
  if (H5Dread(dataset, mem_type, s.mem(), s.file(), H5P_DEFAULT, data) < 0)
    read_failed(dataset, "cannot read");
}

Id create_raw(hid_t file, const std::string& name, hid_t file_type, const Layout& layout,
              hid_t fill_type, const void* fill) {
  std::vector<hsize_t> max_dims = layout.dims;
  if (layout.extendible) max_dims[0] = H5S_UNLIMITED;
  Id space(
      H5Screate_simple(static_cast<int>(layout.dims.size()), layout.dims.data(), max_dims.data()),
      H5Sclose);
  Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!layout.chunk.empty()) {
    H5Pset_chunk(dcpl.get(), static_cast<int>(layout.chunk.size()), layout.chunk.data());
    if (layout.deflate > 0) {
      H5Pset_shuffle(dcpl.get());
      H5Pset_deflate(dcpl.get(), static_cast<unsigned>(layout.deflate));
    }
  }
  if (fill) H5Pset_fill_value(dcpl.get(), fill_type, fill);
  Id lcpl = link_create_plist();
  Id ds(H5Dcreate2(file, name.c_str(), file_type, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT),
        H5Dclose);
  if (!ds.ok()) write_failed(file, "dataset '" + name + "' (creating it)");
  return ds;
}

// Opens attribute `name` of obj, or throws InputError naming it.
Id open_attr(hid_t obj, const std::string& name) {
  if (!has_attr(obj, name)) {
    const auto [file, object] = names_of(obj);
    throw InputError(file, 0, "missing attribute '" + name + "' of '" + object + "'");
  }
  return Id(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
}

[[noreturn]] void attr_is_not(hid_t obj, const std::string& name, const std::string& kind) {
  const auto [file, object] = names_of(obj);
  throw InputError(file, 0, "attribute '" + name + "' of '" + object + "' is not " + kind);
}

}  // namespace

// ---- errors -----------------------------------------------------------------------------------

void silence_hdf5_errors() {
  static const bool silenced = [] {
    H5dont_atexit();  // before the library initialises, i.e. before any other HDF5 call
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

std::string hdf5_reason() {
  std::string reason;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
        return 0;
      },
      &reason);
  H5Eclear2(H5E_DEFAULT);
  return reason.empty() ? "" : " (HDF5: " + reason + ")";
}

int hdf5_errno() {
  // The sec2 driver records "..., errno = 28, error message = 'No space left on device'".
  int error_number = 0;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* out) -> herr_t {
        const char* at = e->desc ? std::strstr(e->desc, "errno = ") : nullptr;
        if (at) *static_cast<int*>(out) = std::atoi(at + std::strlen("errno = "));
        return 0;
      },
      &error_number);
  return error_number;
}

void write_failed(const std::string& output, const std::string& what) {
  const int error_number = hdf5_errno();
  throw_write_failure(output, what, error_number, hdf5_reason());
}

void write_failed(hid_t obj, const std::string& what) {
  const int error_number = hdf5_errno();  // before any other HDF5 call clears the stack
  const std::string reason = hdf5_reason();
  const auto [file, name] = names_of(obj);
  throw_write_failure(file, "'" + name + "'" + (what.empty() ? "" : " (" + what + ")"),
                      error_number, reason);
}

void read_failed(hid_t obj, const std::string& what) {
  const int error_number = hdf5_errno();  // every HDF5 call clears the stack: read it first
  const std::string reason = hdf5_reason();
  const auto [file, name] = names_of(obj);
  Id file_id(H5Iget_file_id(obj), H5Fclose);
  unsigned intent = 0;
  if (error_number != 0 && H5Fget_intent(file_id.get(), &intent) >= 0 && (intent & H5F_ACC_RDWR))
    throw_write_failure(file, "'" + name + "' (flushing cached data while reading)", error_number,
                        reason);
  throw InputError(file, 0, name + ": " + what + reason);
}

// ---- files, groups, objects -------------------------------------------------------------------

Id create_file(const std::string& temp_path, const std::string& output) {
  silence_hdf5_errors();
  Id file(H5Fcreate(temp_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) write_failed(output, "the HDF5 file (creating '" + temp_path + "')");
  return file;
}

Id open_file(const std::string& path, Access access, const std::string& expected) {
  silence_hdf5_errors();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path, 0, "no such file (expected " + expected + ")");
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InputError(path, 0, "not an HDF5 file (expected " + expected + ")");
  }
  const unsigned flags = access == Access::kReadWrite ? H5F_ACC_RDWR : H5F_ACC_RDONLY;
  Id file(H5Fopen(path.c_str(), flags, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) throw InputError(path, 0, "cannot open the HDF5 file" + hdf5_reason());
  return file;
}

bool exists(hid_t file, const std::string& name) {
  if (name.empty() || name == "/") return true;
  // H5Lexists fails (rather than returning false) when a parent is missing: walk the path.
  for (size_t slash = name.find('/', 1);; slash = name.find('/', slash + 1)) {
    const std::string prefix = name.substr(0, slash);
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (slash == std::string::npos || slash + 1 == name.size()) return true;
  }
}

void create_group(hid_t file, const std::string& name) {
  if (exists(file, name)) return;
  Id lcpl = link_create_plist();
  Id g(H5Gcreate2(file, name.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g.ok()) write_failed(file, "group '" + name + "'");
}

Id open_object(hid_t file, const std::string& name) {
  if (!exists(file, name)) return Id();
  Id obj(H5Oopen(file, name.c_str(), H5P_DEFAULT), H5Oclose);
  if (!obj.ok()) H5Eclear2(H5E_DEFAULT);
  return obj;
}

Id open_dataset(hid_t file, const std::string& name, const std::string& hint) {
  if (!exists(file, name))
    throw InputError(file_of(file), 0, "missing dataset '" + name + "'" + hint);
  Id ds(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok())
    throw InputError(file_of(file), 0, "'" + name + "' is not a dataset" + hdf5_reason());
  return ds;
}

// ---- datasets ---------------------------------------------------------------------------------

template <typename T>
Id create_dataset(hid_t file, const std::string& name, const Layout& layout, const T* fill) {
  return create_raw(file, name, Types<T>::file(), layout, Types<T>::mem(), fill);
}

Id create_string_dataset(hid_t file, const std::string& name, const Layout& layout) {
  Id type = variable_string_type();
  return create_raw(file, name, type.get(), layout, type.get(), nullptr);
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

template <typename T>
void write_box(hid_t dataset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count,
               const T* data) {
  write_raw(dataset, Types<T>::mem(), offset, count, data);
}

namespace {

// One stored chunk of write_deflated: the chunk at `origin`, padded with zeros (HDF5's fill)
// where it runs past the dataset's edge, shuffled (byte k of every element together, HDF5's
// shuffle filter) and deflated (zlib's compress2 at `level`, HDF5's deflate filter).
std::vector<unsigned char> deflated_chunk(const Layout& layout, size_t elem,
                                          const unsigned char* data,
                                          const std::vector<hsize_t>& origin) {
  const size_t rank = layout.dims.size();
  size_t nelem = 1;
  for (hsize_t c : layout.chunk) nelem *= c;
  std::vector<unsigned char> raw(nelem * elem, 0);
  // Copy the chunk's rows (its last dimension) that lie inside the dataset.
  const hsize_t last = rank - 1;
  const hsize_t row = std::min(layout.chunk[last], layout.dims[last] - origin[last]);
  std::vector<hsize_t> at(rank, 0);  // position inside the chunk; at[last] stays 0
  for (;;) {
    bool inside = true;
    size_t src = 0, dst = 0;
    for (size_t k = 0; k < rank; ++k) {
      const hsize_t i = origin[k] + at[k];
      inside = inside && i < layout.dims[k];
      src = src * layout.dims[k] + i;
      dst = dst * layout.chunk[k] + at[k];
    }
    if (inside) std::memcpy(&raw[dst * elem], data + src * elem, row * elem);
    size_t k = last;  // next row: odometer over the dimensions before the last
    while (k-- > 0 && ++at[k] == layout.chunk[k]) at[k] = 0;
    if (k == static_cast<size_t>(-1)) break;
  }
  std::vector<unsigned char> shuffled(raw.size());
  if (elem == 1) {
    shuffled.swap(raw);  // HDF5's shuffle leaves one-byte elements as they are
  } else {
    for (size_t i = 0; i < nelem; ++i)
      for (size_t b = 0; b < elem; ++b) shuffled[b * nelem + i] = raw[i * elem + b];
  }
  uLongf size = compressBound(static_cast<uLong>(shuffled.size()));
  std::vector<unsigned char> out(size);
  if (compress2(out.data(), &size, shuffled.data(), static_cast<uLong>(shuffled.size()),
                layout.deflate) != Z_OK)
    throw std::runtime_error("zlib could not compress a chunk");
  out.resize(size);
  return out;
}

}  // namespace

template <typename T>
void write_deflated(hid_t dataset, const Layout& layout, const T* data) {
  Id file_type(H5Dget_type(dataset), H5Tclose);
  const size_t rank = layout.dims.size();
  if (layout.deflate <= 0 || layout.extendible || rank == 0 || layout.chunk.size() != rank ||
      H5Tequal(file_type.get(), Types<T>::mem()) <= 0) {
    write_box(dataset, {}, {}, data);
    return;
  }
  std::vector<hsize_t> grid(rank);
  size_t nchunk = 1;
  for (size_t k = 0; k < rank; ++k) {
    if (layout.dims[k] == 0) return;  // nothing to store
    grid[k] = (layout.dims[k] + layout.chunk[k] - 1) / layout.chunk[k];
    nchunk *= grid[k];
  }
  auto origin_of = [&](size_t c) {
    std::vector<hsize_t> origin(rank);
    for (size_t k = rank; k-- > 0; c /= grid[k]) origin[k] = (c % grid[k]) * layout.chunk[k];
    return origin;
  };
  std::vector<std::vector<unsigned char>> chunks(nchunk);
  const auto* bytes = reinterpret_cast<const unsigned char*>(data);
  parallel_for(nchunk, 0, [&](size_t c) {
    chunks[c] = deflated_chunk(layout, sizeof(T), bytes, origin_of(c));
  });
  for (size_t c = 0; c < nchunk; ++c) {  // HDF5 itself on this thread only
    const std::vector<hsize_t> origin = origin_of(c);
    if (H5Dwrite_chunk(dataset, H5P_DEFAULT, 0, origin.data(), chunks[c].size(), chunks[c].data()) <
        0)
      write_failed(dataset, "");
  }
}

template <typename T>
void read_box(hid_t dataset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count,
              T* data) {
  read_raw(dataset, Types<T>::mem(), offset, count, data);
}

template <typename T>
std::vector<T> read_values(hid_t dataset) {
  Id type(H5Dget_type(dataset), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
    const auto [file, name] = names_of(dataset);
    throw InputError(file, 0, "dataset '" + name + "' is not numeric");
  }
  const std::vector<hsize_t> dims = shape(dataset);
  size_t n = 1;
  for (hsize_t d : dims) n *= d;
  std::vector<T> out(n);
  if (n > 0) read_raw(dataset, Types<T>::mem(), {}, {}, out.data());
  return out;
}

#define TECSCAN_HDF5_NUMERIC(T)                                                                   \
  template Id create_dataset<T>(hid_t, const std::string&, const Layout&, const T*);              \
  template void write_box<T>(hid_t, const std::vector<hsize_t>&, const std::vector<hsize_t>&,     \
                             const T*);                                                           \
  template void read_box<T>(hid_t, const std::vector<hsize_t>&, const std::vector<hsize_t>&, T*); \
  template void write_deflated<T>(hid_t, const Layout&, const T*);                                \
  template std::vector<T> read_values<T>(hid_t);
TECSCAN_HDF5_NUMERIC(float)
TECSCAN_HDF5_NUMERIC(double)
TECSCAN_HDF5_NUMERIC(uint8_t)
TECSCAN_HDF5_NUMERIC(int32_t)
TECSCAN_HDF5_NUMERIC(int64_t)
#undef TECSCAN_HDF5_NUMERIC

void write_strings(hid_t dataset, hsize_t offset, const std::vector<std::string>& values) {
  if (values.empty()) return;
  std::vector<const char*> ptrs;
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  Id type = variable_string_type();
  write_raw(dataset, type.get(), {offset}, {values.size()}, ptrs.data());
}

std::vector<std::string> read_strings(hid_t dataset) {
  Id type(H5Dget_type(dataset), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) {
    const auto [file, name] = names_of(dataset);
    throw InputError(file, 0, "dataset '" + name + "' is not a list of strings");
  }
  size_t n = 1;
  for (hsize_t d : shape(dataset)) n *= d;
  std::vector<std::string> out;
  if (!read_text(type.get(), n, out, [&](hid_t mem, void* buf) {
        return n == 0 ? 0 : H5Dread(dataset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
      }))
    read_failed(dataset, "cannot read");
  return out;
}

// ---- attributes and dimension scales -----------------------------------------------------------

void write_attr(hid_t obj, const H5Attr& attr) {
  if (H5Aexists(obj, attr.name.c_str()) > 0) H5Adelete(obj, attr.name.c_str());
  Id space(H5Screate(H5S_SCALAR), H5Sclose);
  hid_t file_type = H5T_IEEE_F64LE, mem_type = H5T_NATIVE_DOUBLE;
  const void* value = &attr.number;
  const float as_float = static_cast<float>(attr.number);
  Id text_type = fixed_string_type(attr.text.size());
  const std::string padded = attr.text.empty() ? std::string(1, '\0') : attr.text;
  switch (attr.type) {
    case H5Attr::Type::kFloat:  // CF's _FillValue has the type of its float32 variable
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
  Id a(H5Acreate2(obj, attr.name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
       H5Aclose);
  if (!a.ok() || H5Awrite(a.get(), mem_type, value) < 0)
    write_failed(obj, "attribute '" + attr.name + "'");
}

bool has_attr(hid_t obj, const std::string& name) {
  const htri_t e = H5Aexists(obj, name.c_str());
  H5Eclear2(H5E_DEFAULT);
  return e > 0;
}

double read_attr_double(hid_t obj, const std::string& name) {
  Id a = open_attr(obj, name);
  Id type(H5Aget_type(a.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  double v = 0;
  if ((cls != H5T_FLOAT && cls != H5T_INTEGER) || H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v) < 0)
    attr_is_not(obj, name, "a number");
  return v;
}

int64_t read_attr_int(hid_t obj, const std::string& name) {
  Id a = open_attr(obj, name);
  Id type(H5Aget_type(a.get()), H5Tclose);
  int64_t v = 0;
  if (H5Tget_class(type.get()) != H5T_INTEGER || H5Aread(a.get(), H5T_NATIVE_INT64, &v) < 0)
    attr_is_not(obj, name, "an integer");
  return v;
}

std::string read_attr_string(hid_t obj, const std::string& name) {
  Id a = open_attr(obj, name);
  Id type(H5Aget_type(a.get()), H5Tclose);
  Id space(H5Aget_space(a.get()), H5Sclose);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  std::vector<std::string> parts;
  if (H5Tget_class(type.get()) != H5T_STRING || count < 0 ||
      !read_text(type.get(), static_cast<size_t>(count), parts,
                 [&](hid_t mem, void* buf) { return H5Aread(a.get(), mem, buf); }))
    attr_is_not(obj, name, "text");
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "\n" : "") + parts[i];
  return out;
}

std::vector<std::string> attr_names(hid_t obj) {
  std::vector<std::string> names;
  hsize_t idx = 0;
  H5Aiterate2(
      obj, H5_INDEX_NAME, H5_ITER_INC, &idx,
      [](hid_t, const char* n, const H5A_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->push_back(n);
        return 0;
      },
      &names);
  return names;
}

void make_scale(hid_t file, const std::string& scale_dataset, const std::string& dim_name) {
  Id ds(H5Dopen2(file, scale_dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok() || H5DSset_scale(ds.get(), dim_name.c_str()) < 0)
    write_failed(file, "'" + scale_dataset + "' as a dimension scale");
}

void attach_scale(hid_t file, const std::string& dataset, unsigned dim,
                  const std::string& scale_dataset) {
  Id ds(H5Dopen2(file, dataset.c_str(), H5P_DEFAULT), H5Dclose);
  Id scale(H5Dopen2(file, scale_dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok() || !scale.ok() || H5DSattach_scale(ds.get(), scale.get(), dim) < 0)
    write_failed(file, "scale '" + scale_dataset + "' on dimension " + std::to_string(dim) +
                           " of '" + dataset + "'");
}

}  // namespace tecscan::hdf5
