// The one layer over the HDF5 C API that H5File and the archive are built on: identifiers that
// close themselves, files, groups, datasets (contiguous, chunked, extendible), hyperslab reads
// and writes, string datasets, attributes and dimension scales. HDF5's own error printing is
// off; a failed write throws through throw_write_failure (the OS reason on a full disk), naming
// the output (never its temp file) and the object; a failed read throws InputError.
#pragma once
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tecscan/h5file.hpp"

namespace tecscan::hdf5 {

// Closes an HDF5 identifier when it goes out of scope.
class Id {
 public:
  Id() = default;
  Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Id() { reset(); }
  Id(Id&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Id& operator=(Id&& o) noexcept {
    if (this != &o) reset(), id_ = o.id_, close_ = o.close_, o.id_ = -1;
    return *this;
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }
  void reset() { (void)close(); }
  hid_t release() {  // the caller closes it from now on
    const hid_t id = id_;
    id_ = -1;
    return id;
  }
  herr_t close() {  // the close function's status (H5Fclose can fail writing)
    const herr_t status = id_ >= 0 && close_ ? close_(id_) : 0;
    id_ = -1;
    return status;
  }

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

// ---- errors -----------------------------------------------------------------------------------

// Turns off HDF5's error printing and its shutdown at exit (after a failed write HDF5 1.10
// keeps a half-closed file that its atexit handler crashes on). Call before any other HDF5 call.
void silence_hdf5_errors();
// " (HDF5: <innermost error description>)" of the last failure, or "". Clears the stack.
std::string hdf5_reason();
// The errno HDF5's file driver recorded for the last failure, or 0. Leaves the stack as it is.
int hdf5_errno();
// Throws the failure of an HDF5 write to `output` (throw_write_failure): the OS reason when the
// driver recorded one, else HDF5's. For failures before a file exists.
[[noreturn]] void write_failed(const std::string& output, const std::string& what);
// The same for a write to obj (a file, group, dataset or attribute): names the output obj's
// file belongs to and the object.
[[noreturn]] void write_failed(hid_t obj, const std::string& what);
// A read of obj failed: InputError naming the file and the object. A read can flush cached
// chunks of a file open for writing: a full disk there is a write failure.
[[noreturn]] void read_failed(hid_t obj, const std::string& what);

// ---- files, groups, objects -------------------------------------------------------------------

// A new file at temp_path (truncating); failures name `output`.
Id create_file(const std::string& temp_path, const std::string& output);
// How an existing file is opened. Not HDF5's H5F_ACC_* flags: those macros initialise the
// library where they are evaluated, before silence_hdf5_errors could turn its atexit handler off.
enum class Access { kRead, kReadWrite };
// An existing file, or InputError(path, 0, "no such file (expected <expected>)" / "not an HDF5
// file (expected <expected>)" / "cannot open ...").
Id open_file(const std::string& path, Access access, const std::string& expected);
// A group or dataset at this path ("/" and "" are the root); false when a parent is missing.
bool exists(hid_t file, const std::string& name);
// Creates the group and its missing parents.
void create_group(hid_t file, const std::string& name);
// Opens a group or dataset; the Id is not ok() when it cannot (the error stack is cleared).
Id open_object(hid_t file, const std::string& name);
// Opens a dataset, or throws InputError(path of file, 0, "missing dataset '<name>'<hint>").
Id open_dataset(hid_t file, const std::string& name, const std::string& hint = "");

// ---- datasets ---------------------------------------------------------------------------------

// How a dataset is stored. Without chunk it is contiguous; extendible (first dimension
// unlimited) and deflate (shuffle + deflate) need a chunk.
struct Layout {
  std::vector<hsize_t> dims;
  std::vector<hsize_t> chunk;
  bool extendible = false;
  int deflate = 0;  // zlib level with shuffle, 0: none (chunked layouts only)
};

// Datasets of float, double, uint8_t, int32_t or int64_t (float32, float64, u8, i32, i64
// little-endian in the file). fill: what unwritten elements read as (nullptr: HDF5's zero).
// Parent groups are created.
template <typename T>
Id create_dataset(hid_t file, const std::string& name, const Layout& layout,
                  const T* fill = nullptr);
// A dataset of variable-length UTF-8 strings.
Id create_string_dataset(hid_t file, const std::string& name, const Layout& layout);

std::vector<hsize_t> shape(hid_t dataset);
void set_length(hid_t dataset, hsize_t first_dim);  // grows (or shrinks) the first dimension
// The box offset + count of a dataset from / to a dense row-major buffer; an empty offset and
// count mean the whole dataset. Values are converted by HDF5 (a float64 dataset read as float).
template <typename T>
void write_box(hid_t dataset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count,
               const T* data);
template <typename T>
void read_box(hid_t dataset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count,
              T* data);
// The whole of a dataset made by create_dataset<T> with a chunked, shuffled and deflated
// `layout`, from dense row-major data: the chunks are shuffled and deflated on every core and
// handed to HDF5 as stored (H5Dwrite_chunk), where write_box would have HDF5's filter pipeline
// compress them one at a time on the calling thread. The same zlib stream and fill, so the
// same file; write_box when the layout is not that or the file type is not T's in memory.
template <typename T>
void write_deflated(hid_t dataset, const Layout& layout, const T* data);
// The whole dataset, which must be numeric (InputError otherwise).
template <typename T>
std::vector<T> read_values(hid_t dataset);
// Strings: rows [offset, offset + values.size()) of a 1-D string dataset / the whole dataset
// (variable or fixed length; InputError when it is not text).
void write_strings(hid_t dataset, hsize_t offset, const std::vector<std::string>& values);
std::vector<std::string> read_strings(hid_t dataset);

// ---- attributes and dimension scales -----------------------------------------------------------

// A scalar attribute on obj (a file = the root group, a group or a dataset); replaces an
// existing one. Text is fixed-length UTF-8, what netCDF-4 writes.
void write_attr(hid_t obj, const H5Attr& attr);
bool has_attr(hid_t obj, const std::string& name);
// Readers throw InputError naming the file, the object and the attribute when it is missing or
// of another kind. A string-array attribute reads as its lines joined by newlines.
double read_attr_double(hid_t obj, const std::string& name);
int64_t read_attr_int(hid_t obj, const std::string& name);
std::string read_attr_string(hid_t obj, const std::string& name);
std::vector<std::string> attr_names(hid_t obj);

// Makes a 1-D dataset a dimension scale named dim_name (CLASS and NAME attributes), and attaches
// a scale to dimension `dim` of a dataset (netCDF-4 / xarray see the dimensions by name).
void make_scale(hid_t file, const std::string& scale_dataset, const std::string& dim_name);
void attach_scale(hid_t file, const std::string& dataset, unsigned dim,
                  const std::string& scale_dataset);

}  // namespace tecscan::hdf5
