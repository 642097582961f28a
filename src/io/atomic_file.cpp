#include "tecscan/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <system_error>

#include "tecscan/error.hpp"

namespace tecscan {

namespace fs = std::filesystem;

namespace {
std::string temp_suffix() {
  return ".tmp." + std::to_string(static_cast<long>(::getpid()));
}
}  // namespace

std::string write_target(const std::string& path) {
  fs::path target = path;
  std::error_code ec;
  for (int hops = 0; hops < 40 && fs::is_symlink(target, ec); ++hops) {  // 40: the kernel's limit
    const fs::path link = fs::read_symlink(target, ec);
    if (ec) break;
    target = link.is_absolute() ? link : target.parent_path() / link;
  }
  return target.string();
}

std::string output_of(const std::string& file) {
  const std::string suffix = temp_suffix();
  if (file.size() > suffix.size() &&
      file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0)
    return file.substr(0, file.size() - suffix.size());
  return file;
}

void throw_write_failure(const std::string& path, const std::string& what, int error_number,
                         const std::string& detail) {
  if (error_number == 0) {  // the failing call's errno is lost: ask the file system
    fs::path dir = fs::path(path).parent_path();
    struct statvfs s {};
    if (::statvfs(dir.empty() ? "." : dir.c_str(), &s) == 0) {
      if (s.f_flag & ST_RDONLY)
        error_number = EROFS;
      else if (s.f_bavail == 0)
        error_number = ENOSPC;
    }
  }
  if (error_number != 0)
    throw InputError(path, 0, "cannot write " + what + ": " + std::strerror(error_number));
  throw std::runtime_error(path + ": cannot write " + what + detail);
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw InputError("output path is empty");
  target_ = write_target(path_);
  fs::path parent = fs::path(target_).parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  if (!fs::is_directory(parent, ec))
    throw InputError(
        path_, 0,
        "cannot write: the directory '" + parent.string() + "' does not exist (create it first)");
  if (fs::is_directory(target_, ec))
    throw InputError(path_, 0, "cannot write: the output path is a directory");
  temp_path_ = target_ + temp_suffix();
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      target_(std::move(other.target_)),
      temp_path_(std::move(other.temp_path_)),
      committed_(other.committed_) {
  other.committed_ = true;  // the moved-from object owns nothing
  other.temp_path_.clear();
}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    if (!committed_) discard();
    path_ = std::move(other.path_);
    target_ = std::move(other.target_);
    temp_path_ = std::move(other.temp_path_);
    committed_ = other.committed_;
    other.committed_ = true;
    other.temp_path_.clear();
  }
  return *this;
}

void AtomicFile::commit() {
  if (committed_) return;
  if (std::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    const int error_number = errno;
    discard();
    throw_write_failure(path_, "(renaming '" + temp_path_ + "' onto it)", error_number);
  }
  committed_ = true;
}

void AtomicFile::discard() noexcept {
  if (!temp_path_.empty()) std::remove(temp_path_.c_str());
}

void write_file_atomic(const std::string& path, const std::string& content) {
  AtomicFile out(path);
  std::FILE* f = std::fopen(out.temp_path().c_str(), "wb");
  if (!f) throw_write_failure(path, "the file", errno);
  // stdio keeps errno of the failing write(2): a full disk says so, not "write failed".
  bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  int error_number = ok ? 0 : errno;
  if (std::fflush(f) != 0 && ok) ok = false, error_number = errno;
  if (std::fclose(f) != 0 && ok) ok = false, error_number = errno;
  if (!ok) throw_write_failure(path, "the file", error_number);
  out.commit();
}

FileLock::FileLock(const std::string& lock_path, const std::string& what) : path_(lock_path) {
  // The holder removes the lock file when done, so a lock taken on a file that was removed
  // meanwhile locks nothing: take it again on the file now at lock_path.
  for (;;) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_write_failure(path_, "the lock file", errno);
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      fd_ = -1;
      throw InputError(path_, 0,
                       "another tecscan process is writing " + what +
                           " (lock held); wait for it to finish, or stop it, and run this again");
    }
    struct stat held = {};
    struct stat now = {};
    if (::fstat(fd_, &held) == 0 && ::stat(path_.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
        held.st_ino == now.st_ino)
      return;
    ::close(fd_);
  }
}

FileLock::~FileLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still holding it: no trace left beside the output
  ::close(fd_);             // closing drops the flock
}

int remove_stale_temp_files(const std::string& dir) {
  static const std::regex temp_name(R"(.*\.tmp\.(\d+))");
  std::error_code ec;
  int removed = 0;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (!std::regex_match(name, m, temp_name)) continue;
    const long pid = std::strtol(m[1].str().c_str(), nullptr, 10);
    // kill(pid, 0) fails with ESRCH when no such process exists (on this host).
    bool alive = pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
    if (!alive && fs::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace tecscan
