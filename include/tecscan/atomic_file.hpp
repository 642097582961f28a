// Write-then-rename: an output appears complete or not at all, even if the run is interrupted.
#pragma once
#include <string>

namespace tecscan {

// Usage: AtomicFile out(path); write everything to out.temp_path(); out.commit();
// The temp file is "<target>.tmp.<pid>" in the target's directory, so the rename stays on one
// file system and is atomic; the target is path, or the file a symbolic link at path points to
// (written through, like the shell's >, never replaced by a regular file). If commit() is never
// reached (an exception, an early return), the destructor removes the temp file and the target
// is left untouched.
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

  // Renames the temp file onto the target (replacing it). Throws like throw_write_failure when
  // the rename fails.
  void commit();
  // Removes the temp file now (also what the destructor does when not committed).
  void discard() noexcept;

 private:
  std::string path_, target_, temp_path_;
  bool committed_ = false;
};

// Removes "<name>.tmp.<pid>" files left in `dir` by a process that no longer runs (a killed or
// preempted run); returns how many were removed. Temp files of live processes are kept.
int remove_stale_temp_files(const std::string& dir);

// Writes `content` to `path` atomically (text outputs: CSV, JSON, TOML).
void write_file_atomic(const std::string& path, const std::string& content);

// The file a write to `path` replaces: path, or the end of its chain of symbolic links.
std::string write_target(const std::string& path);

// The output a file of this process belongs to: `file` without the ".tmp.<pid>" of an
// AtomicFile of this process, else `file` (errors name the output, not the temp file).
std::string output_of(const std::string& file);

// A write to `path` failed. With an OS reason (errno `error_number`, or, when that is 0, a full
// or read-only file system under path) this throws InputError "path: cannot write WHAT: <OS
// text>" (exit 2: the user frees space or writes elsewhere); otherwise std::runtime_error
// "path: cannot write WHAT<detail>".
[[noreturn]] void throw_write_failure(const std::string& path, const std::string& what,
                                      int error_number, const std::string& detail = "");

// An exclusive advisory lock (flock) on lock_path, created for the holder and removed when it
// is released (destruction). Throws InputError when another process holds it: "another tecscan
// process is writing <what>".
class FileLock {
 public:
  FileLock(const std::string& lock_path, const std::string& what);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace tecscan
