// NginxProxy: config generation, start and stop of the nginx under test.
#include "tests/integration/nginx_proxy.hpp"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace authd::test {
namespace {

// The location that proxies to the echo upstream once authd said yes (`check` is the
// internal location of the auth subrequest).
std::string protected_location(std::string_view path, std::string_view check, int upstream) {
    std::string l = "    location " + std::string(path) + " {\n";
    l += "      auth_request " + std::string(check) + ";\n";
    l += "      auth_request_set $uid $upstream_http_x_auth_user_id;\n";
    l += "      auth_request_set $uname $upstream_http_x_auth_username;\n";
    l += "      auth_request_set $urole $upstream_http_x_auth_role;\n";
    l += "      proxy_set_header X-User-Id $uid;\n";
    l += "      proxy_set_header X-Username $uname;\n";
    l += "      proxy_set_header X-Role $urole;\n";
    l += "      proxy_pass http://127.0.0.1:" + std::to_string(upstream) + ";\n    }\n";
    return l;
}

std::string check_location(std::string_view name, std::string_view target) {
    std::string l = "    location = " + std::string(name) + " {\n      internal;\n";
    l += "      proxy_pass http://authd" + std::string(target) + ";\n";
    l += "      proxy_pass_request_body off;\n      proxy_set_header Content-Length \"\";\n";
    l += "      proxy_set_header X-Original-URI $request_uri;\n";
    l += "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n    }\n";
    return l;
}

}  // namespace

NginxProxy::~NginxProxy() {
    stop();
}

std::string NginxProxy::config(int authd_port) const {
    const std::string& d = dir_.path();
    std::string c = "daemon off;\nmaster_process off;\n";
    if (geteuid() == 0) c += "user root;\n";
    c += "pid " + d + "/nginx.pid;\nerror_log " + d + "/error.log info;\n";
    c += "events { worker_connections 256; }\nhttp {\n  access_log off;\n";
    for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
        c += "  " + std::string(t) + "_temp_path " + d + "/" + t + ";\n";
    c += "  upstream authd { server 127.0.0.1:" + std::to_string(authd_port) + "; keepalive 8; }\n";
    c += "  server {\n    listen 127.0.0.1:" + std::to_string(upstream_port_) + ";\n";
    c += "    location / { default_type text/plain; return 200 \"user_id=$http_x_user_id "
         "username=$http_x_username role=$http_x_role method=$request_method "
         "uri=$request_uri length=$http_content_length\\n\"; }\n  }\n";
    c += "  server {\n    listen 127.0.0.1:" + std::to_string(front_port_) + ";\n";
    c += check_location("/_authd", "/auth/forward");
    c += check_location("/_authd_agent", "/auth/forward?role=AGENT");
    c += protected_location("/", "/_authd", upstream_port_);
    c += protected_location("/admin/", "/_authd_agent", upstream_port_);
    c += "  }\n}\n";
    return c;
}

::testing::AssertionResult NginxProxy::start(int authd_port) {
    if (access(binary, X_OK) != 0)
        return ::testing::AssertionFailure() << binary << " is missing: tools/setup.sh test";
    front_port_ = free_port();
    upstream_port_ = free_port();
    std::ofstream(dir_.file("nginx.conf")) << config(authd_port);
    pid_ = spawn_logged(
        {binary, "-e", dir_.file("error.log"), "-p", dir_.path(), "-c", dir_.file("nginx.conf")},
        dir_.file("stdout.log"));
    if (pid_ < 0) return ::testing::AssertionFailure() << "cannot start nginx";
    auto deadline = std::chrono::steady_clock::now() + Millis(5000);
    while (std::chrono::steady_clock::now() < deadline) {
        RawConnection probe(front_port_, Millis(200));
        RawConnection probe_up(upstream_port_, Millis(200));
        if (probe.connected() && probe_up.connected()) return ::testing::AssertionSuccess();
        if (wait_pid(pid_, Millis(0))) {
            pid_ = -1;
            return ::testing::AssertionFailure() << "nginx exited:\n"
                                                 << read_file(dir_.file("stdout.log")) << log();
        }
        std::this_thread::sleep_for(Millis(20));
    }
    return ::testing::AssertionFailure() << "nginx did not listen within 5 s:\n" << log();
}

int NginxProxy::stop() {
    int rc = terminate(pid_, SIGTERM, Millis(5000));
    pid_ = -1;
    return rc;
}

}  // namespace authd::test
