// The HTTP layer of `tecscan fetch` (libcurl): one session per run that shares cookies between
// transfers (the Earthdata Login session), and one URL downloaded with retries and resume.
#pragma once
#include <memory>
#include <string>

#include "tecscan/fetch.hpp"

namespace tecscan {

enum class UrlOutcome {
  kOk,            // the body is complete in the part file
  kNotFound,      // 404 / 410: the file does not exist
  kLoginRefused,  // a login host asked for credentials that .netrc does not give
  kUnreachable,   // no connection (no network, no such host, refused)
  kWriteFailed,   // the part file could not be written here (a full or read-only disk)
  kFailed,        // anything else after the retries (message says what)
};

struct UrlResult {
  UrlOutcome outcome = UrlOutcome::kFailed;
  std::string message;
  std::string login_host;
  int write_errno = 0;  // kWriteFailed: the OS reason (0 when unknown)
};

class HttpSession {
 public:
  explicit HttpSession(const FetchOptions& o);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // GET url into part_path, resuming from its current size with a Range request (a server
  // that ignores the Range restarts the file). Retries timeouts, cut connections, 429 and 5xx
  // with back-off. An HTML page where data were expected is removed: a login page when it
  // came from another host, an error page otherwise. A local write failure is not retried.
  UrlResult download(const std::string& url, const std::string& part_path) const;

  const FetchOptions& options() const { return options_; }

 private:
  struct Shared;
  FetchOptions options_;
  std::unique_ptr<Shared> shared_;
};

// The "scheme://host[:port]" part of a URL and its host name alone.
std::string url_origin(const std::string& url);
std::string url_host(const std::string& url);

}  // namespace tecscan
