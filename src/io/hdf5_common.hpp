// What every user of the HDF5 C API here needs: an identifier that closes itself, HDF5's own
// error printing turned off, and its innermost error message for tecscan's own errors.
#pragma once
#include <hdf5.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "tecscan/atomic_file.hpp"

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
  herr_t close() {  // the close function's status (H5Fclose can fail writing)
    const herr_t status = id_ >= 0 && close_ ? close_(id_) : 0;
    id_ = -1;
    return status;
  }

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

// HDF5 prints its error stack to stderr by default; tecscan reports errors itself. Also no
// HDF5 shutdown at exit: after a failed write (a full disk) HDF5 1.10 keeps a half-closed file
// that its atexit handler closes again and crashes on (SIGSEGV in H5F__close_cb). Every file is
// closed explicitly; an uncommitted temp file is removed by AtomicFile.
inline void silence_hdf5_errors() {
  static const bool silenced = [] {
    H5dont_atexit();  // before the library initialises, i.e. before any other HDF5 call
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

// " (HDF5: <innermost error description>)" of the last failure, or "".
inline std::string hdf5_reason() {
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

// The errno HDF5's file driver recorded for the last failure ("..., errno = 28, error message
// = 'No space left on device'" on the error stack), or 0. Leaves the stack as it is.
inline int hdf5_errno() {
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

// Throws the failure of an HDF5 write to `output` (throw_write_failure): the OS reason when the
// driver recorded one, else HDF5's. Clears the error stack.
[[noreturn]] inline void write_failed(const std::string& output, const std::string& what) {
  const int error_number = hdf5_errno();
  throw_write_failure(output, what, error_number, hdf5_reason());
}

}  // namespace tecscan::hdf5
