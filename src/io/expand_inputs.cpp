// Command-line inputs -> the sorted list of files they name (files, directories, globs).
#include <dirent.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tecscan/error.hpp"
#include "tecscan/ionex.hpp"

namespace tecscan {
namespace {

bool has_glob_characters(const std::string& pattern) {
  return pattern.find_first_of("*?[") != std::string::npos;
}

// Every regular file directly inside `dir`. Hidden files (.DS_Store, editor swap files) are
// not data and are skipped.
void add_directory(const std::string& dir, std::vector<std::string>& out) {
  std::unique_ptr<DIR, int (*)(DIR*)> handle(opendir(dir.c_str()), &closedir);
  if (!handle)
    throw InputError(dir, 0, std::string("cannot read directory: ") + std::strerror(errno));
  const std::string prefix = dir.back() == '/' ? dir : dir + "/";
  size_t found = 0;
  while (const dirent* entry = readdir(handle.get())) {
    if (entry->d_name[0] == '.') continue;
    std::string path = prefix + entry->d_name;
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      out.push_back(path);
      ++found;
    }
  }
  if (found == 0) throw InputError(dir, 0, "directory holds no regular file");
}

void add_path(const std::string& path, std::vector<std::string>& out) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    throw InputError(path, 0, std::string("cannot open: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode))
    add_directory(path, out);
  else if (S_ISREG(st.st_mode))
    out.push_back(path);
  else
    throw InputError(path, 0, "not a regular file or a directory");
}

}  // namespace

std::vector<std::string> expand_inputs(const std::vector<std::string>& patterns) {
  std::vector<std::string> files;
  for (const std::string& pattern : patterns) {
    if (pattern.empty()) throw InputError("an empty input path was given");
    struct stat st;
    if (stat(pattern.c_str(), &st) == 0 || !has_glob_characters(pattern)) {
      add_path(pattern, files);  // an existing name wins over its reading as a glob
      continue;
    }
    glob_t matches{};
    int status = glob(pattern.c_str(), 0, nullptr, &matches);
    std::vector<std::string> names;
    if (status == 0)
      for (size_t k = 0; k < matches.gl_pathc; ++k) names.emplace_back(matches.gl_pathv[k]);
    globfree(&matches);
    if (status == GLOB_NOMATCH) throw InputError(pattern, 0, "no file matches this pattern");
    if (status != 0) throw InputError(pattern, 0, "cannot expand this pattern (read error)");
    for (const std::string& name : names) add_path(name, files);
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

}  // namespace tecscan
