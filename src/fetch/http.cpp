// libcurl transfers for `tecscan fetch`: redirects followed, .netrc credentials, cookies shared
// by every transfer of a run (one Earthdata Login per run, not per file), Range resume,
// retries with back-off, and an answer that says what went wrong.
#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "tecscan/fetch_http.hpp"

namespace tecscan {
namespace {

// What one attempt ended with.
struct Attempt {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string effective_url, error;
  std::string head;     // the first bytes of the final response's body
  int write_errno = 0;  // CURLE_WRITE_ERROR: the OS reason
};

// The body of the final response goes to the part file (from `offset`); bodies of error
// responses are only sampled, so a 404 page never lands in a data file.
struct Sink {
  CURL* curl = nullptr;
  FILE* file = nullptr;
  long offset = 0;
  bool started = false, discard = false;
  std::string head;
  int write_errno = 0;  // why the part file could not be written
};

constexpr size_t kHeadBytes = 512;

size_t write_body(char* data, size_t size, size_t count, void* user) {
  Sink* sink = static_cast<Sink*>(user);
  const size_t length = size * count;
  if (!sink->started) {
    sink->started = true;
    long status = 0;
    curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 300) {
      sink->discard = true;
    } else if (status == 200 && sink->offset > 0) {
      // The server ignored the Range request and sends the whole file: start it again.
      std::fflush(sink->file);
      if (ftruncate(fileno(sink->file), 0) != 0) {
        sink->write_errno = errno;
        return 0;
      }
      std::fseek(sink->file, 0, SEEK_SET);
      sink->offset = 0;
    }
  }
  if (sink->head.size() < kHeadBytes)
    sink->head.append(data, std::min(length, kHeadBytes - sink->head.size()));
  if (sink->discard) return length;
  if (std::fwrite(data, 1, length, sink->file) == length) return length;
  sink->write_errno = errno;
  return 0;
}

bool looks_like_html(const std::string& head) {
  size_t i = 0;
  while (i < head.size() && std::isspace(static_cast<unsigned char>(head[i]))) ++i;
  if (i >= head.size() || head[i] != '<') return false;
  std::string lower = head.substr(i);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("<html") != std::string::npos || lower.find("<!doctype html") == 0;
}

bool is_unreachable(CURLcode code) {
  return code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT ||
         code == CURLE_COULDNT_RESOLVE_PROXY;
}

bool is_transient(CURLcode code) {
  return is_unreachable(code) || code == CURLE_PARTIAL_FILE || code == CURLE_OPERATION_TIMEDOUT ||
         code == CURLE_GOT_NOTHING || code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR ||
         code == CURLE_SSL_CONNECT_ERROR || code == CURLE_HTTP2 || code == CURLE_HTTP2_STREAM;
}

bool is_transient_status(long status) {
  return status == 408 || status == 429 || status >= 500;
}

std::once_flag curl_initialised;

}  // namespace

std::string url_origin(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  const size_t path = url.find('/', scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

std::string url_host(const std::string& url) {
  const std::string origin = url_origin(url);
  std::string host = origin.substr(std::min(origin.size(), origin.find("://") + 3));
  const size_t at = host.rfind('@');
  if (at != std::string::npos) host = host.substr(at + 1);
  if (!host.empty() && host[0] == '[') return host.substr(0, host.find(']') + 1);
  return host.substr(0, host.find(':'));
}

struct HttpSession::Shared {
  CURLSH* share = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST];
  // Hosts that could not be reached or refused the login answer the same way for the rest of
  // the run: thousands of days are not tried one by one against them.
  std::mutex verdict_mutex;
  std::map<std::string, UrlResult> host_verdicts;

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<Shared*>(self)->locks[data].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<Shared*>(self)->locks[data].unlock();
  }
  bool known_verdict(const std::string& host, UrlResult& r) {
    std::lock_guard<std::mutex> guard(verdict_mutex);
    const auto found = host_verdicts.find(host);
    if (found == host_verdicts.end()) return false;
    r = found->second;
    return true;
  }
  UrlResult remember(const std::string& host, const UrlResult& r) {
    std::lock_guard<std::mutex> guard(verdict_mutex);
    host_verdicts.emplace(host, r);
    return r;
  }
};

HttpSession::HttpSession(const FetchOptions& o) : options_(o), shared_(new Shared) {
  std::call_once(curl_initialised, [] {
    // Transfers run with CURLOPT_NOSIGNAL (threads): a peer that closes a TLS connection must
    // end in an error, never in SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw std::runtime_error("cannot initialise libcurl");
  });
  shared_->share = curl_share_init();
  if (!shared_->share) throw std::runtime_error("cannot initialise libcurl (share handle)");
  curl_share_setopt(shared_->share, CURLSHOPT_LOCKFUNC, &Shared::lock);
  curl_share_setopt(shared_->share, CURLSHOPT_UNLOCKFUNC, &Shared::unlock);
  curl_share_setopt(shared_->share, CURLSHOPT_USERDATA, shared_.get());
  curl_share_setopt(shared_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
  curl_share_setopt(shared_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
}

HttpSession::~HttpSession() {
  curl_share_cleanup(shared_->share);
}

namespace {

Attempt attempt_once(const std::string& url, const std::string& part_path, CURLSH* share,
                     const FetchOptions& o) {
  Attempt a;
  FILE* file = std::fopen(part_path.c_str(), "ab");
  if (!file) {
    a.code = CURLE_WRITE_ERROR;
    a.write_errno = errno;
    a.error = std::strerror(errno);
    return a;
  }
  std::fseek(file, 0, SEEK_END);
  CURL* curl = curl_easy_init();
  if (!curl) {
    std::fclose(file);
    throw std::runtime_error("cannot initialise libcurl (easy handle)");
  }
  Sink sink;
  sink.curl = curl;
  sink.file = file;
  sink.offset = std::ftell(file);
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_OPTIONAL));
  if (!o.netrc_file.empty()) curl_easy_setopt(curl, CURLOPT_NETRC_FILE, o.netrc_file.c_str());
  curl_easy_setopt(curl, CURLOPT_COOKIEFILE, "");  // the cookie engine, in memory
  curl_easy_setopt(curl, CURLOPT_SHARE, share);
  if (!o.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, o.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, o.connect_timeout_s);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, o.stall_timeout_s);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "tecscan/" TECSCAN_VERSION);
  curl_easy_setopt(curl, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(sink.offset));
  a.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a.status);
  char* effective = nullptr;
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective);
  a.effective_url = effective ? effective : url;
  a.error = error[0] ? error : curl_easy_strerror(a.code);
  a.head = sink.head;
  a.write_errno = sink.write_errno;
  if (a.code == CURLE_WRITE_ERROR && a.write_errno != 0) a.error = std::strerror(a.write_errno);
  curl_easy_cleanup(curl);
  // fclose writes what stdio still buffers: a full disk may only show here.
  if (std::fclose(file) != 0 && a.code == CURLE_OK) {
    a.code = CURLE_WRITE_ERROR;
    a.write_errno = errno;
    a.error = std::strerror(errno);
  }
  return a;
}

void remove_part(const std::string& part_path) {
  std::error_code ignored;
  std::filesystem::remove(part_path, ignored);
}

}  // namespace

UrlResult HttpSession::download(const std::string& url, const std::string& part_path) const {
  const std::string host = url_host(url);
  UrlResult r;
  if (shared_->known_verdict(host, r)) {
    r.message = url + ": not tried, as earlier in this run: " + r.message;
    return r;
  }
  const int attempts = 1 + std::max(0, options_.retries);
  std::string last;
  bool unreachable = false;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      const double wait = options_.retry_wait_s * std::pow(2.0, attempt - 1);
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
    }
    const Attempt a = attempt_once(url, part_path, shared_->share, options_);
    const std::string answered = url_host(a.effective_url);
    unreachable = false;
    if (a.code == CURLE_OK) {
      // 204: a query that matched nothing (the FDSN event service).
      if (a.status == 200 || a.status == 206 || a.status == 204) {
        if (!looks_like_html(a.head)) {
          r.outcome = UrlOutcome::kOk;
          return r;
        }
        remove_part(part_path);
        if (answered != host) {
          r.outcome = UrlOutcome::kLoginRefused;
          r.login_host = answered;
          r.message = url + ": redirected to a login page on " + answered;
          return shared_->remember(host, r);
        } else {
          r.message = url + ": an HTML page (a login or error page) where a data file was expected";
        }
        return r;
      }
      if (a.status == 404 || a.status == 410) {
        r.outcome = UrlOutcome::kNotFound;
        r.message = url + ": HTTP " + std::to_string(a.status);
        return r;
      }
      if (a.status == 401 || (a.status == 403 && answered != host)) {
        r.outcome = UrlOutcome::kLoginRefused;
        r.login_host = answered;
        r.message =
            url + ": " + answered + " refused the login (HTTP " + std::to_string(a.status) + ")";
        return shared_->remember(host, r);
      }
      if (a.status == 416) {  // the part is not a prefix of this file: start again
        remove_part(part_path);
        last = "HTTP 416 on resume";
        continue;
      }
      last = "HTTP " + std::to_string(a.status);
      if (is_transient_status(a.status)) continue;
      r.message = url + ": " + last;
      return r;
    }
    last = a.error;
    if (a.code == CURLE_PEER_FAILED_VERIFICATION || a.code == CURLE_SSL_CACERT_BADFILE) {
      r.message = url + ": the server's TLS certificate is not trusted (" + a.error +
                  "); for a mirror with its own CA give --ca-file";
      return r;
    }
    if (a.code == CURLE_WRITE_ERROR) {  // our side: retrying would not free the disk
      r.outcome = UrlOutcome::kWriteFailed;
      r.write_errno = a.write_errno;
      r.message = part_path + ": cannot write the download of " + url + " (" + a.error + ")";
      return r;
    }
    if (!is_transient(a.code)) {
      r.message = url + ": " + a.error;
      return r;
    }
    unreachable = is_unreachable(a.code);
  }
  if (unreachable) {
    r.outcome = UrlOutcome::kUnreachable;
    r.message = "cannot reach " + host + ": " + last + " (no network, or the host is down)";
    return shared_->remember(host, r);
  }
  r.message = url + ": " + last + " after " + std::to_string(attempts) + " attempts";
  return r;
}

}  // namespace tecscan
