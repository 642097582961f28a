// A small RAII wrapper over the HDF5 C API: numeric datasets with attributes, string lists,
// groups, dimension scales (netCDF-4 / xarray style) and the matching readers.
// Every HDF5 failure becomes an exception naming the file and the object; HDF5's own error
// stack printing is silenced. A write the OS refuses (full disk, read-only file system) is an
// InputError with the OS reason (throw_write_failure), and the temp file is removed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tecscan/atomic_file.hpp"

namespace tecscan {

// One attribute: a number (float, double or integer) or a string. Floats matter for CF's
// _FillValue, which must have the type of its float32 variable.
struct H5Attr {
  enum class Type { kFloat, kDouble, kInt, kString };
  H5Attr(std::string n, float v) : name(std::move(n)), type(Type::kFloat), number(v) {}
  H5Attr(std::string n, double v) : name(std::move(n)), type(Type::kDouble), number(v) {}
  H5Attr(std::string n, int v) : name(std::move(n)), type(Type::kInt), integer(v) {}
  H5Attr(std::string n, int64_t v) : name(std::move(n)), type(Type::kInt), integer(v) {}
  H5Attr(std::string n, uint64_t v)  // sizes and counts
      : name(std::move(n)), type(Type::kInt), integer(static_cast<int64_t>(v)) {}
  H5Attr(std::string n, std::string v)
      : name(std::move(n)), type(Type::kString), text(std::move(v)) {}
  H5Attr(std::string n, const char* v) : H5Attr(std::move(n), std::string(v)) {}
  std::string name;
  Type type;
  double number = 0;
  int64_t integer = 0;
  std::string text;
};
using H5Attrs = std::vector<H5Attr>;

class H5File {
 public:
  // A new file (any existing one is replaced at commit()). Everything is written to
  // "<path>.tmp.<pid>"; commit() closes it and renames it onto path. A file that is destroyed
  // without commit() leaves no trace. Throws InputError when the directory does not exist.
  static H5File create(const std::string& path);
  // An existing file, read only. Throws InputError(path, 0, ...) when missing or not HDF5.
  static H5File open_read(const std::string& path);

  H5File(H5File&& other) noexcept;
  H5File& operator=(H5File&& other) noexcept;
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;
  ~H5File();

  const std::string& path() const { return path_; }  // the final path, not the temp file
  void commit();                                     // writers only: flush, close, rename

  // ---- writing. Names are absolute or relative to the root ("tec", "/indices/kp");
  // missing parent groups are created. dims = row-major shape (product = data.size()).
  // Arrays of rank >= 2 are chunked, shuffled and deflated (level 1); 1-D arrays are contiguous.
  void create_group(const std::string& name);
  void write(const std::string& name, const std::vector<float>& data,
             const std::vector<size_t>& dims, const H5Attrs& attrs = {});
  void write(const std::string& name, const std::vector<double>& data,
             const std::vector<size_t>& dims, const H5Attrs& attrs = {});
  void write(const std::string& name, const std::vector<uint8_t>& data,
             const std::vector<size_t>& dims, const H5Attrs& attrs = {});
  void write(const std::string& name, const std::vector<int32_t>& data,
             const std::vector<size_t>& dims, const H5Attrs& attrs = {});
  void write(const std::string& name, const std::vector<int64_t>& data,
             const std::vector<size_t>& dims, const H5Attrs& attrs = {});
  // 1-D dataset of variable-length UTF-8 strings.
  void write_string_list(const std::string& name, const std::vector<std::string>& values,
                         const H5Attrs& attrs = {});
  // Attributes on a group or dataset ("/" = the root). Replaces an existing attribute.
  void set_attr(const std::string& object, const H5Attr& attr);
  void set_attr(const std::string& object, const std::string& name, double value);
  void set_attr(const std::string& object, const std::string& name, int64_t value);
  void set_attr(const std::string& object, const std::string& name, int value);
  void set_attr(const std::string& object, const std::string& name, uint64_t value);
  void set_attr(const std::string& object, const std::string& name, const std::string& value);
  void set_attr(const std::string& object, const std::string& name, const char* value);
  // Makes a 1-D dataset a dimension scale named dim_name (H5DSset_scale: CLASS and NAME
  // attributes), then attaches it to dimension `dim` of `dataset` (H5DSattach_scale).
  // xarray / h5netcdf then see the dataset's dimensions by name.
  void make_scale(const std::string& scale_dataset, const std::string& dim_name);
  void attach_scale(const std::string& dataset, int dim, const std::string& scale_dataset);

  // ---- reading. Throw InputError(path, 0, "... <name> ...") when missing or of another rank.
  bool has(const std::string& name) const;  // a group or dataset at this path
  bool has_attr(const std::string& object, const std::string& name) const;
  std::vector<size_t> dims(const std::string& name) const;
  // Values converted to the requested type by HDF5 (e.g. a float64 dataset read as float).
  std::vector<float> read_float(const std::string& name) const;
  std::vector<float> read_float(const std::string& name, std::vector<size_t>& dims) const;
  std::vector<double> read_double(const std::string& name) const;
  std::vector<double> read_double(const std::string& name, std::vector<size_t>& dims) const;
  std::vector<uint8_t> read_uint8(const std::string& name) const;
  std::vector<int32_t> read_int32(const std::string& name) const;
  std::vector<int64_t> read_int64(const std::string& name) const;
  std::vector<std::string> read_string_list(const std::string& name) const;
  double read_attr_double(const std::string& object, const std::string& name) const;
  int64_t read_attr_int(const std::string& object, const std::string& name) const;
  std::string read_attr_string(const std::string& object, const std::string& name) const;
  // The dataset's attribute names (e.g. to copy them).
  std::vector<std::string> attr_names(const std::string& object) const;

 private:
  H5File() = default;
  void close() noexcept;
  template <typename T>
  void write_numeric(const std::string& name, const std::vector<T>& data,
                     const std::vector<size_t>& dims, const H5Attrs& attrs);
  template <typename T>
  std::vector<T> read_numeric(const std::string& name, std::vector<size_t>* dims) const;

  std::string path_;
  int64_t file_ = -1;                   // hid_t (int64_t since HDF5 1.10)
  std::unique_ptr<AtomicFile> output_;  // set for writers
};

}  // namespace tecscan
