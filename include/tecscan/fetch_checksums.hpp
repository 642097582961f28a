// Checksums an archive publishes beside its files (NASA CDDIS: a SHA512SUMS file in each product
// directory) and the SHA-512 of a downloaded file, for `tecscan fetch` (docs/fetch.md).
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "tecscan/fetch_http.hpp"

namespace tecscan {

// The name of the per-directory checksum list.
inline constexpr const char* kSha512SumsName = "SHA512SUMS";

// Hex SHA-512 (FIPS 180-4, OpenSSL's EVP) of a file's bytes. Throws InputError when the file
// cannot be read.
std::string sha512_file(const std::string& path);

// A checksum list in sha512sum's format, one "<128 hex digits>  <name>" (or "<hex> *<name>")
// per line: file name -> lower-case hex digest. Lines of another form are skipped.
std::map<std::string, std::string> parse_sha512sums(const std::string& text);

// What the directory of one file publishes for it.
struct PublishedChecksum {
  enum class State {
    kListed,         // sha512 holds the published digest
    kNotListed,      // the list has no line for the file
    kNonePublished,  // the directory has no list (404)
    kUnavailable,    // the list could not be fetched (message says why)
  };
  State state = State::kUnavailable;
  std::string sha512;    // kListed
  std::string list_url;  // the SHA512SUMS URL
  std::string message;   // kUnavailable
};

// The SHA512SUMS of each directory, downloaded on first use and kept for the run. Thread-safe:
// parallel downloads that ask for one directory at once share a single download.
class PublishedChecksums {
 public:
  // Lists are downloaded into state_dir (a temporary file per directory, removed once read).
  PublishedChecksums(const HttpSession& session, std::string state_dir);
  ~PublishedChecksums();
  PublishedChecksums(const PublishedChecksums&) = delete;
  PublishedChecksums& operator=(const PublishedChecksums&) = delete;

  PublishedChecksum lookup(const std::string& file_url);

 private:
  struct Directory;
  std::shared_ptr<Directory> directory(const std::string& directory_url);

  const HttpSession& session_;
  std::string state_dir_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Directory>> directories_;
  long lists_started_ = 0;
};

}  // namespace tecscan
