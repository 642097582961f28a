// Write-then-rename: an output appears complete or not at all, even if the run is interrupted.
#pragma once
#include <string>

namespace tecscan {

// Usage: AtomicFile out(path); write everything to out.temp_path(); out.commit();
// The temp file is "<path>.tmp.<pid>" in the same directory, so the rename stays on one file
// system and is atomic. If commit() is never reached (an exception, an early return), the
// destructor removes the temp file and `path` is left untouched.
class AtomicFile {
 public:
  // Throws InputError when the directory of `path` does not exist or is not a directory.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }
  bool committed() const { return committed_; }

  // Renames the temp file onto path (replacing it). Throws std::runtime_error naming both paths
  // when the temp file is missing or the rename fails.
  void commit();
  // Removes the temp file now (also what the destructor does when not committed).
  void discard() noexcept;

 private:
  std::string path_, temp_path_;
  bool committed_ = false;
};

// Writes `content` to `path` atomically (text outputs: CSV, JSON, TOML).
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace tecscan
