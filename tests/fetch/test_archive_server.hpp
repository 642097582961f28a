// A local HTTPS archive (tests/fetch/server.py) for the `tecscan fetch` tests: a throw-away
// self-signed certificate for 127.0.0.1 and localhost, a served tree laid out like the real
// archives, misbehaviour rules, and the request log.
#pragma once
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tecscan::testing {

class TestArchiveServer {
 public:
  // root: the served tree; rules: server.py's JSON rules; login "USER:PASSWORD" makes the data
  // host ask for Earthdata-style login; catalog: a ComCat CSV for the FDSN event endpoint;
  // sha512sums: every directory has a SHA512SUMS list, as on CDDIS.
  TestArchiveServer(const std::filesystem::path& work, const std::filesystem::path& root,
                    const std::string& rules = "{}", const std::string& login = "",
                    const std::string& catalog = "", bool sha512sums = false)
      : work_(work) {
    namespace fs = std::filesystem;
    cert_ = (work / "cert.pem").string();
    const std::string key = (work / "key.pem").string();
    if (!fs::exists(cert_)) {
      const std::string cmd =
          "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
          "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
          key + "' -out '" + cert_ + "' >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
    }
    const std::string rules_path = (work / "rules.json").string();
    std::ofstream(rules_path) << rules;
    log_ = (work / "requests.log").string();
    std::ofstream(log_, std::ios::trunc).flush();
    const std::string port_file = (work / "port").string();
    fs::remove(port_file);
    std::vector<std::string> args = {"/usr/bin/python3",
                                     TECSCAN_SOURCE_DIR "/tests/fetch/server.py",
                                     "--root",
                                     root.string(),
                                     "--cert",
                                     cert_,
                                     "--key",
                                     key,
                                     "--port-file",
                                     port_file,
                                     "--log",
                                     log_,
                                     "--rules",
                                     rules_path};
    if (!login.empty()) args.insert(args.end(), {"--login", login});
    if (!catalog.empty()) args.insert(args.end(), {"--catalog", catalog});
    if (sha512sums) args.push_back("--sha512sums");
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    for (int i = 0; i < 200 && !fs::exists(port_file); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream(port_file) >> port_;
    if (port_ == 0) throw std::runtime_error("tests/fetch/server.py did not start");
  }
  ~TestArchiveServer() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  TestArchiveServer(const TestArchiveServer&) = delete;
  TestArchiveServer& operator=(const TestArchiveServer&) = delete;

  std::string url(const std::string& path = "") const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }
  const std::string& cert() const { return cert_; }
  // Every request so far: host, path, query, range, cookie, status.
  std::vector<nlohmann::json> requests() const {
    std::vector<nlohmann::json> lines;
    std::ifstream in(log_);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }
  long count(const std::string& path) const {
    long n = 0;
    for (const auto& r : requests()) n += r["path"] == path;
    return n;
  }

 private:
  std::filesystem::path work_;
  std::string cert_, log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace tecscan::testing
