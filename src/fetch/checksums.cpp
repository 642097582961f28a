// SHA-512 of downloaded files (OpenSSL's EVP: no hand-written crypto) and the per-directory
// SHA512SUMS lists an archive publishes, fetched once per directory and run.
#include <openssl/evp.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "tecscan/error.hpp"
#include "tecscan/fetch_checksums.hpp"

namespace tecscan {
namespace {

constexpr size_t kSha512HexDigits = 128;

bool is_hex_digest(const std::string& text) {
  if (text.size() != kSha512HexDigits) return false;
  for (char c : text)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string read_small_file(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return "";
  std::string text;
  char buffer[1 << 14];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, f.get())) > 0;) text.append(buffer, n);
  return text;
}

}  // namespace

std::string sha512_file(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw InputError(path, 0, "cannot read the file to compute its SHA-512");
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha512(), nullptr) != 1)
    throw std::runtime_error("OpenSSL cannot start a SHA-512 digest");
  unsigned char buffer[1 << 16];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, f.get())) > 0;)
    if (EVP_DigestUpdate(context.get(), buffer, n) != 1)
      throw std::runtime_error("OpenSSL failed in a SHA-512 digest");
  if (std::ferror(f.get()))
    throw InputError(path, 0, "cannot read the file to compute its SHA-512");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context.get(), digest, &length) != 1)
    throw std::runtime_error("OpenSSL failed in a SHA-512 digest");
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

std::map<std::string, std::string> parse_sha512sums(const std::string& text) {
  std::map<std::string, std::string> digests;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t space = line.find(' ');
    if (space == std::string::npos || !is_hex_digest(line.substr(0, space))) continue;
    size_t name = line.find_first_not_of(' ', space);
    if (name != std::string::npos && line[name] == '*') ++name;  // sha512sum's binary mark
    if (name == std::string::npos || name >= line.size()) continue;
    digests[line.substr(name)] = lower(line.substr(0, space));
  }
  return digests;
}

struct PublishedChecksums::Directory {
  std::mutex mutex;  // held while the list is downloaded: one download per directory
  bool loaded = false;
  PublishedChecksum::State state = PublishedChecksum::State::kUnavailable;
  std::string message;
  std::map<std::string, std::string> digests;
};

PublishedChecksums::PublishedChecksums(const HttpSession& session, std::string state_dir)
    : session_(session), state_dir_(std::move(state_dir)) {}

PublishedChecksums::~PublishedChecksums() = default;

std::shared_ptr<PublishedChecksums::Directory> PublishedChecksums::directory(
    const std::string& directory_url) {
  std::lock_guard<std::mutex> guard(mutex_);
  std::shared_ptr<Directory>& d = directories_[directory_url];
  if (!d) d = std::make_shared<Directory>();
  return d;
}

PublishedChecksum PublishedChecksums::lookup(const std::string& file_url) {
  std::string clean = file_url.substr(0, file_url.find_first_of("?#"));
  const size_t slash = clean.find_last_of('/');
  const std::string directory_url = clean.substr(0, slash + 1);
  const std::string name = clean.substr(slash + 1);
  PublishedChecksum c;
  c.list_url = directory_url + kSha512SumsName;
  const std::shared_ptr<Directory> d = directory(directory_url);
  std::lock_guard<std::mutex> guard(d->mutex);
  if (!d->loaded) {
    long number = 0;
    {
      std::lock_guard<std::mutex> count_guard(mutex_);
      number = ++lists_started_;
    }
    // A fresh name per list, removed first: a part left by a killed run is never resumed into
    // another directory's list.
    const std::string part =
        state_dir_ + "/" + kSha512SumsName + "." + std::to_string(number) + ".part";
    std::error_code ignored;
    std::filesystem::remove(part, ignored);
    const UrlResult u = session_.download(c.list_url, part);
    if (u.outcome == UrlOutcome::kOk) {
      d->state = PublishedChecksum::State::kListed;
      d->digests = parse_sha512sums(read_small_file(part));
    } else if (u.outcome == UrlOutcome::kNotFound) {
      d->state = PublishedChecksum::State::kNonePublished;
    } else {
      d->state = PublishedChecksum::State::kUnavailable;
      d->message = u.message;
    }
    std::filesystem::remove(part, ignored);
    d->loaded = true;
  }
  c.state = d->state;
  c.message = d->message;
  if (c.state == PublishedChecksum::State::kListed) {
    const auto found = d->digests.find(name);
    if (found == d->digests.end())
      c.state = PublishedChecksum::State::kNotListed;
    else
      c.sha512 = found->second;
  }
  return c;
}

}  // namespace tecscan
