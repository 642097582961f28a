#include "tecscan/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "tecscan/error.hpp"

namespace tecscan {

namespace fs = std::filesystem;

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw InputError("output path is empty");
  fs::path parent = fs::path(path_).parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  if (!fs::is_directory(parent, ec))
    throw InputError(
        path_, 0,
        "cannot write: the directory '" + parent.string() + "' does not exist (create it first)");
  if (fs::is_directory(path_, ec))
    throw InputError(path_, 0, "cannot write: the output path is a directory");
  temp_path_ = path_ + ".tmp." + std::to_string(static_cast<long>(::getpid()));
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      committed_(other.committed_) {
  other.committed_ = true;  // the moved-from object owns nothing
  other.temp_path_.clear();
}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    if (!committed_) discard();
    path_ = std::move(other.path_);
    temp_path_ = std::move(other.temp_path_);
    committed_ = other.committed_;
    other.committed_ = true;
    other.temp_path_.clear();
  }
  return *this;
}

void AtomicFile::commit() {
  if (committed_) return;
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    discard();
    throw std::runtime_error("cannot rename '" + temp_path_ + "' to '" + path_ + "': " + reason);
  }
  committed_ = true;
}

void AtomicFile::discard() noexcept {
  if (!temp_path_.empty()) std::remove(temp_path_.c_str());
}

void write_file_atomic(const std::string& path, const std::string& content) {
  AtomicFile out(path);
  {
    std::ofstream f(out.temp_path(), std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot open '" + out.temp_path() + "' for writing");
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    f.flush();
    if (!f) throw std::runtime_error("write to '" + out.temp_path() + "' failed (disk full?)");
  }
  out.commit();
}

}  // namespace tecscan
