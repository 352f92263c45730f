// NginxProxy: Debian's nginx (/usr/sbin/nginx, ngx_http_auth_request_module) started with a
// generated config: a front server that asks authd's /auth/forward first, in front of an
// upstream server block that echoes the identity headers it received.
#pragma once
#include <sys/types.h>

#include <string>

#include "tests/integration/harness.hpp"

namespace authd::test {

class NginxProxy {
  public:
    static constexpr const char* binary = "/usr/sbin/nginx";

    NginxProxy() = default;
    ~NginxProxy();
    NginxProxy(const NginxProxy&) = delete;
    NginxProxy& operator=(const NginxProxy&) = delete;

    // Front on a free port: "/" needs a valid token, "/admin/" the AGENT role; both proxy to
    // the echo upstream with X-User-Id, X-Username and X-Role set from authd's answer.
    // Waits (bounded) until the front port accepts.
    ::testing::AssertionResult start(int authd_port);
    int stop();  // SIGTERM, then SIGKILL after 5 s; exit_status_code()

    int port() const { return front_port_; }
    std::string log() const { return read_file(dir_.file("error.log")); }

  private:
    std::string config(int authd_port) const;

    TempDir dir_{"authd-nginx"};
    pid_t pid_ = -1;
    int front_port_ = 0;
    int upstream_port_ = 0;
};

}  // namespace authd::test
