// Errors a user can act on: every input problem names the file, the line and what was expected.
#pragma once
#include <stdexcept>
#include <string>

namespace tecscan {

// Bad input data (a file, a value, a command-line argument). The CLI prints what() and exits 2.
class InputError : public std::runtime_error {
 public:
  InputError(const std::string& file, long line, const std::string& what)
      : std::runtime_error(format(file, line, what)), file_(file), line_(line) {}
  explicit InputError(const std::string& what) : std::runtime_error(what), line_(0) {}
  const std::string& file() const { return file_; }
  long line() const { return line_; }

 private:
  static std::string format(const std::string& file, long line, const std::string& what) {
    std::string s = file;
    if (line > 0) s += ":" + std::to_string(line);
    return s + ": " + what;
  }
  std::string file_;
  long line_;
};

}  // namespace tecscan
