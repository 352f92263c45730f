// The I/O backend choice end to end: authd under a seccomp filter that refuses io_uring (as
// Docker's default profile does) serves on epoll with AUTHD_IO=auto and refuses to start with
// AUTHD_IO=io_uring; a bad AUTHD_IO is a clear start-up error.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.hpp"

namespace authd::test {
namespace {

// authd started through the seccomp launcher with a clean environment of our choice.
struct Sandboxed {
    TempDir dir{"authd-io"};
    int port = free_port();
    pid_t pid = -1;

    explicit Sandboxed(const std::string& io) {
        std::vector<std::string> argv = {AUTHD_DENY_IO_URING,
                                         "/usr/bin/env",
                                         "-i",
                                         "AUTHD_IO=" + io,
                                         "AUTHD_THREADS=2",
                                         "AUTHD_LISTEN=127.0.0.1:" + std::to_string(port),
                                         "AUTHD_STORE=file:" + dir.file("data"),
                                         "AUTHD_SECRET_KEY=" + std::string(64, 'k'),
                                         AUTHD_BINARY,
                                         "serve"};
        pid = spawn_logged(argv, dir.file("server.log"));
    }
    ~Sandboxed() {
        if (pid > 0) terminate(pid, SIGKILL, Millis(5000));
    }
    std::string log() const { return read_file(dir.file("server.log")); }
    bool wait_healthy(Millis timeout) {
        auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until) {
            if (request(port, "GET", "/healthz").status == 200) return true;
            if (wait_pid(pid, Millis(0))) return false;  // exited
            std::this_thread::sleep_for(Millis(50));
        }
        return false;
    }
};

TEST(IoBackend, AutoFallsBackToEpollWhenSeccompRefusesIoUring) {
    Sandboxed authd("auto");
    ASSERT_GT(authd.pid, 0);
    ASSERT_TRUE(authd.wait_healthy(Millis(15000))) << authd.log();
    HttpResponse metrics = request(authd.port, "GET", "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("authd_io_backend{backend=\"epoll\"} 1"), std::string::npos)
        << metrics.body;
    // A real request through the whole stack: validation of a bad token is a 401, not a crash.
    HttpResponse bad =
        request(authd.port, "POST", "/auth/validate_token/", R"({"token":"not.a.token"})");
    EXPECT_TRUE(bad.status == 401 || bad.status == 400) << bad.status << " " << bad.body;
    std::string log = authd.log();
    EXPECT_NE(log.find("\"backend\":\"epoll\""), std::string::npos) << log;
    EXPECT_NE(log.find("io_uring unavailable"), std::string::npos) << log;
    EXPECT_NE(log.find("Operation not permitted"), std::string::npos) << log;
    EXPECT_EQ(terminate(authd.pid, SIGTERM, Millis(15000)), 0);
    authd.pid = -1;
}

TEST(IoBackend, IoUringDemandedButRefusedExitsWithTheReason) {
    Sandboxed authd("io_uring");
    ASSERT_GT(authd.pid, 0);
    auto status = wait_pid(authd.pid, Millis(15000));
    ASSERT_TRUE(status) << "authd kept running without io_uring\n" << authd.log();
    authd.pid = -1;
    EXPECT_NE(exit_status_code(*status), 0);
    std::string log = authd.log();
    EXPECT_NE(log.find("io_uring is refused"), std::string::npos) << log;
    EXPECT_NE(log.find("seccomp"), std::string::npos) << log;
}

TEST(IoBackend, UnknownBackendIsAStartUpError) {
    Sandboxed authd("kqueue");
    ASSERT_GT(authd.pid, 0);
    auto status = wait_pid(authd.pid, Millis(15000));
    ASSERT_TRUE(status);
    authd.pid = -1;
    EXPECT_EQ(exit_status_code(*status), 2);
    EXPECT_NE(authd.log().find("AUTHD_IO must be auto, io_uring or epoll"), std::string::npos)
        << authd.log();
}

}  // namespace
}  // namespace authd::test
