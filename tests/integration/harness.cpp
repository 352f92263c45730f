// Integration-test harness, part one: child processes and ServerProcess (authd). The raw HTTP
// client, JSON readers and SMTP/Redis children are in harness_*.cpp. Children get PR_SET_PDEATHSIG
// so a crashed or killed test never leaves them behind.
#include "tests/integration/harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/free_port.hpp"
#include "tests/integration/harness_internal.hpp"

#ifndef AUTHD_BINARY
#error "AUTHD_BINARY must be defined (path of the authd executable)"
#endif
#ifndef AUTHD_SOURCE_DIR
#error "AUTHD_SOURCE_DIR must be defined (root of the source tree)"
#endif

extern char** environ;

namespace authd::test {
namespace detail {

int remaining_ms(Deadline deadline) {
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(left);
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

std::string tail(const std::string& text, size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    return "[... " + std::to_string(text.size() - max_bytes) + " bytes cut ...]\n" +
           text.substr(text.size() - max_bytes);
}

pid_t spawn(const ExecSpec& spec) {
    std::vector<char*> argv;
    for (auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : spec.envp) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    char** env = spec.envp.empty() ? environ : envp.data();

    int log_fd = ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return -1;
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
        int null_fd = ::open("/dev/null", O_RDONLY);
        ::dup2(null_fd, 0);
        ::dup2(spec.stdout_fd >= 0 ? spec.stdout_fd : log_fd, 1);
        ::dup2(log_fd, 2);
        ::execve(argv[0], argv.data(), env);
        const char msg[] = "harness: execve failed\n";
        [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
        ::_exit(127);
    }
    ::close(log_fd);
    return pid;
}

int connect_loopback(int port, Millis timeout, int* err) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        *err = errno;
        ::close(fd);
        return -1;
    }
    *err = 0;
    return fd;
}

}  // namespace detail

using namespace detail;

namespace {

constexpr const char* kTestSecretKey = "integration-test-secret-key-0123456789abcdef0123456789";

// Builds the child's environment: ours minus AUTHD_*, plus `env` (empty values dropped).
std::vector<std::string> child_environment(const std::map<std::string, std::string>& env) {
    std::vector<std::string> out;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string_view entry(*e);
        if (entry.starts_with("AUTHD_")) continue;
        out.emplace_back(entry);
    }
    for (auto& [name, value] : env) {
        if (!value.empty()) out.push_back(name + "=" + value);
    }
    return out;
}

int port_of_listen(const std::string& listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) return 0;
    return std::atoi(listen.c_str() + colon + 1);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Processes, ports, files

int free_port() {
    return testing_net::free_loopback_port();
}

bool wait_port_closed(int port, Millis timeout) {
    Deadline deadline = Clock::now() + timeout;
    for (;;) {
        int err = 0;
        int fd = connect_loopback(port, Millis(500), &err);
        if (fd < 0 && err == ECONNREFUSED) return true;
        if (fd >= 0) ::close(fd);
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(kPollStep);
    }
}

int exit_status_code(int wait_status) {
    if (wait_status < 0) return -1;
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return -1;
}

pid_t spawn_logged(const std::vector<std::string>& argv, const std::string& log_path) {
    ExecSpec spec;
    spec.argv = argv;
    spec.log_path = log_path;
    return spawn(spec);
}

std::optional<int> wait_pid(pid_t pid, Millis timeout) {
    Deadline deadline = Clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return status;
        if (r < 0 && errno != EINTR) return -1;  // not our child any more
        if (Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(kPollStep);
    }
}

int terminate(pid_t pid, int sig, Millis timeout) {
    if (pid <= 0) return -1;
    ::kill(pid, sig);
    auto status = wait_pid(pid, timeout);
    if (!status) {
        ::kill(pid, SIGKILL);
        status = wait_pid(pid, Millis(10000));
    }
    return status ? exit_status_code(*status) : -1;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TempDir::TempDir(std::string_view prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/" + std::string(prefix) + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        ADD_FAILURE() << "mkdtemp(" << pattern << "): " << std::strerror(errno);
        return;
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    if (path_.empty()) return;
    if (keep_ || ::testing::Test::HasFailure()) {
        std::fprintf(stderr, "harness: kept %s for inspection\n", path_.c_str());
        return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

// ---------------------------------------------------------------------------------------------
// HttpResponse

std::string HttpResponse::header(std::string_view name) const {
    for (auto& [k, v] : headers) {
        if (iequals(k, name)) return v;
    }
    return {};
}

bool HttpResponse::has_header(std::string_view name) const {
    return header_count(name) > 0;
}

size_t HttpResponse::header_count(std::string_view name) const {
    return static_cast<size_t>(std::count_if(headers.begin(), headers.end(),
                                             [&](auto& h) { return iequals(h.first, name); }));
}

// ---------------------------------------------------------------------------------------------
// ServerProcess

bool redis_backend_requested() {
    const char* backend = std::getenv("AUTHD_TEST_BACKEND");
    return backend && std::string_view(backend) == "redis";
}

ServerProcess::ServerProcess() : dir_("authd-it") {}

ServerProcess::~ServerProcess() {
    if (pid_ > 0) kill9();
    if (::testing::Test::HasFailure() && !dir_.path().empty()) {
        std::fprintf(stderr, "---- authd log (%s) ----\n%s\n---- end of authd log ----\n",
                     dir_.file("server.log").c_str(), tail(log(), 16384).c_str());
    }
}

::testing::AssertionResult ServerProcess::start(std::map<std::string, std::string> env,
                                                std::vector<std::string> args) {
    if (pid_ > 0) return ::testing::AssertionFailure() << "server already started";
    if (dir_.path().empty()) return ::testing::AssertionFailure() << "no temp dir";
    env_ = {{"AUTHD_STORE", "file:" + data_dir()},
            {"AUTHD_THREADS", "2"},
            {"AUTHD_SECRET_KEY", kTestSecretKey}};
    if (redis_backend_requested() && env.count("AUTHD_STORE") == 0) {
        if (!redis_) {
            redis_ = std::make_unique<RedisServer>();
            auto started = redis_->start();
            if (!started) return started;
        }
        env_["AUTHD_STORE"] = redis_->url();
    }
    // The "epoll." ctest run: every server of the suite on the epoll backend.
    if (const char* io = std::getenv("AUTHD_TEST_IO")) env_["AUTHD_IO"] = io;
    for (auto& [k, v] : env) env_[k] = v;
    if (env_.count("AUTHD_LISTEN") != 0 && !env_["AUTHD_LISTEN"].empty()) {
        port_ = port_of_listen(env_["AUTHD_LISTEN"]);
    } else {
        port_ = free_port();
        env_["AUTHD_LISTEN"] = "127.0.0.1:" + std::to_string(port_);
    }
    args_ = std::move(args);
    auto launched = launch();
    if (!launched) return launched;
    return wait_healthy(Millis(15000));
}

::testing::AssertionResult ServerProcess::launch() {
    {
        std::ofstream marker(dir_.file("server.log"), std::ios::app);
        marker << "==== harness: starting " << AUTHD_BINARY << " serve on port " << port_
               << " ====\n";
    }
    if (::access(AUTHD_BINARY, X_OK) != 0) {
        return ::testing::AssertionFailure()
               << AUTHD_BINARY << " is not executable: " << std::strerror(errno) << " (not built?)";
    }
    ExecSpec spec;
    spec.argv = {AUTHD_BINARY, "serve"};
    spec.argv.insert(spec.argv.end(), args_.begin(), args_.end());
    spec.envp = child_environment(env_);
    spec.log_path = dir_.file("server.log");
    pid_ = spawn(spec);
    if (pid_ < 0) {
        return ::testing::AssertionFailure()
               << "cannot start " << AUTHD_BINARY << ": " << std::strerror(errno);
    }
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult ServerProcess::wait_healthy(Millis timeout) {
    Deadline deadline = Clock::now() + timeout;
    std::string last;
    for (;;) {
        if (!running()) {
            return ::testing::AssertionFailure()
                   << "authd exited with status " << last_status_
                   << " before it was healthy (its log follows the test)";
        }
        RawConnection conn(port_, Millis(1000));
        if (conn.connected() &&
            conn.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) {
            auto response = conn.read_response();
            if (response && response->status == 200) return ::testing::AssertionSuccess();
            last = response ? "status " + std::to_string(response->status) : conn.error();
        } else {
            last = std::strerror(conn.connect_errno());
        }
        if (Clock::now() >= deadline) {
            return ::testing::AssertionFailure()
                   << "authd not healthy on port " << port_ << " after " << timeout.count()
                   << " ms (last: " << last << "; its log follows the test)";
        }
        std::this_thread::sleep_for(Millis(20));
    }
}

::testing::AssertionResult ServerProcess::restart(Millis timeout) {
    if (env_.empty()) return ::testing::AssertionFailure() << "restart() before start()";
    stop(timeout);
    auto launched = launch();
    if (!launched) return launched;
    return wait_healthy(Millis(15000));
}

int ServerProcess::stop(Millis timeout) {
    if (pid_ <= 0) return last_status_;
    last_status_ = terminate(pid_, SIGTERM, timeout);
    pid_ = -1;
    return last_status_;
}

void ServerProcess::kill9() {
    if (pid_ <= 0) return;
    last_status_ = terminate(pid_, SIGKILL, Millis(10000));
    pid_ = -1;
}

void ServerProcess::signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
}

int ServerProcess::wait_exit(Millis timeout) {
    if (pid_ <= 0) return last_status_;
    auto status = wait_pid(pid_, timeout);
    if (!status) return -1;
    last_status_ = exit_status_code(*status);
    pid_ = -1;
    return last_status_;
}

bool ServerProcess::running() {
    if (pid_ <= 0) return false;
    return wait_exit(Millis(0)) == -1 && pid_ > 0;
}

std::string ServerProcess::log() const {
    return read_file(dir_.file("server.log"));
}

}  // namespace authd::test
