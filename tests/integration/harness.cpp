// Integration-test harness: child processes (authd, SMTP sink, Redis), raw HTTP client, JSON
// readers. Children get PR_SET_PDEATHSIG so a crashed or killed test never leaves them behind.
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

#ifndef AUTHD_BINARY
#error "AUTHD_BINARY must be defined (path of the authd executable)"
#endif
#ifndef AUTHD_SOURCE_DIR
#error "AUTHD_SOURCE_DIR must be defined (root of the source tree)"
#endif

extern char** environ;

namespace authd::test {
namespace {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
constexpr Millis kPollStep{10};
constexpr const char* kTestSecretKey = "integration-test-secret-key-0123456789abcdef0123456789";

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

// argv/envp are built before fork(): the child only calls async-signal-safe functions.
struct ExecSpec {
    std::vector<std::string> argv;
    std::vector<std::string> envp;  // empty: inherit environ
    std::string log_path;           // stderr (and stdout unless stdout_fd >= 0), appended
    int stdout_fd = -1;             // dup'ed onto stdout when >= 0
};

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

// ---------------------------------------------------------------------------------------------
// RawConnection

RawConnection::RawConnection(int port, Millis timeout) : timeout_(timeout) {
    fd_ = connect_loopback(port, timeout, &connect_errno_);
    if (fd_ < 0) error_ = std::string("connect: ") + std::strerror(connect_errno_);
}

RawConnection::~RawConnection() {
    close();
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(other.fd_),
      connect_errno_(other.connect_errno_),
      timeout_(other.timeout_),
      buf_(std::move(other.buf_)),
      error_(std::move(other.error_)) {
    other.fd_ = -1;
}

void RawConnection::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool RawConnection::send(std::string_view bytes) {
    if (fd_ < 0) {
        error_ = "send on a closed connection";
        return false;
    }
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error_ = std::string("send: ") + std::strerror(errno);
            return false;
        }
        bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

RawConnection::Fill RawConnection::fill(Deadline deadline) {
    if (fd_ < 0) return Fill::error;
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return Fill::error;
        if (r == 0) return Fill::timeout;
        char chunk[65536];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n > 0) {
            buf_.append(chunk, static_cast<size_t>(n));
            return Fill::data;
        }
        if (n == 0) return Fill::closed;
        if (errno == EINTR) continue;
        if (errno == ECONNRESET) return Fill::closed;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return Fill::timeout;
        return Fill::error;
    }
}

bool RawConnection::read_line(std::string& line, Deadline deadline) {
    for (;;) {
        auto nl = buf_.find('\n');
        if (nl != std::string::npos) {
            line.assign(buf_, 0, nl);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            buf_.erase(0, nl + 1);
            return true;
        }
        Fill f = fill(deadline);
        if (f == Fill::data) continue;
        error_ = f == Fill::closed    ? "connection closed by peer"
                 : f == Fill::timeout ? "timed out waiting for a response"
                                      : "read error";
        return false;
    }
}

bool RawConnection::read_exact(size_t n, std::string& out, Deadline deadline) {
    while (buf_.size() < n) {
        Fill f = fill(deadline);
        if (f == Fill::data) continue;
        error_ = "body cut short: have " + std::to_string(buf_.size()) + " of " +
                 std::to_string(n) + " bytes (" +
                 (f == Fill::closed    ? "closed"
                  : f == Fill::timeout ? "timeout"
                                       : "error") +
                 ")";
        return false;
    }
    out.append(buf_, 0, n);
    buf_.erase(0, n);
    return true;
}

bool RawConnection::read_chunked(std::string& out, Deadline deadline) {
    std::string line;
    for (;;) {
        if (!read_line(line, deadline)) return false;
        char* end = nullptr;
        unsigned long size = std::strtoul(line.c_str(), &end, 16);
        if (end == line.c_str()) {
            error_ = "bad chunk size line: " + line;
            return false;
        }
        if (size == 0) break;
        if (!read_exact(size, out, deadline) || !read_line(line, deadline)) return false;
        if (!line.empty()) {
            error_ = "chunk not followed by CRLF";
            return false;
        }
    }
    do {  // trailer section ends with an empty line
        if (!read_line(line, deadline)) return false;
    } while (!line.empty());
    return true;
}

std::optional<HttpResponse> RawConnection::read_response(bool return_interim, bool head_request) {
    Deadline deadline = Clock::now() + timeout_;
    for (;;) {
        HttpResponse r;
        std::string line;
        if (!read_line(line, deadline)) return std::nullopt;
        int code = 0;
        char version[16] = {0};
        int consumed = 0;
        if (std::sscanf(line.c_str(), "%15s %3d%n", version, &code, &consumed) < 2 ||
            !std::string_view(version).starts_with("HTTP/")) {
            error_ = "bad status line: " + line;
            return std::nullopt;
        }
        r.version = version;
        r.status = code;
        r.reason = std::string(trim(std::string_view(line).substr(static_cast<size_t>(consumed))));
        for (;;) {
            if (!read_line(line, deadline)) return std::nullopt;
            if (line.empty()) break;
            auto colon = line.find(':');
            if (colon == std::string::npos) {
                error_ = "bad header line: " + line;
                return std::nullopt;
            }
            r.headers.emplace_back(std::string(trim(std::string_view(line).substr(0, colon))),
                                   std::string(trim(std::string_view(line).substr(colon + 1))));
        }
        if (code >= 100 && code < 200) {
            if (return_interim) return r;
            continue;
        }
        if (head_request || code == 204 || code == 304) return r;
        if (lower(r.header("Transfer-Encoding")).find("chunked") != std::string::npos) {
            r.chunked = true;
            if (!read_chunked(r.body, deadline)) return std::nullopt;
        } else if (r.has_header("Content-Length")) {
            size_t length = std::strtoull(r.header("Content-Length").c_str(), nullptr, 10);
            if (!read_exact(length, r.body, deadline)) return std::nullopt;
        } else {
            r.body = read_all_until_close(remaining_ms(deadline));
        }
        return r;
    }
}

bool RawConnection::closed_by_peer(int timeout_ms) {
    Deadline deadline = Clock::now() + Millis(timeout_ms);
    for (;;) {
        Fill f = fill(deadline);
        if (f == Fill::closed) return true;
        if (f != Fill::data) return false;
    }
}

std::string RawConnection::read_all_until_close(int timeout_ms) {
    Deadline deadline = Clock::now() + Millis(timeout_ms);
    while (fill(deadline) == Fill::data) {
    }
    std::string out = std::move(buf_);
    buf_.clear();
    return out;
}

HttpResponse request(int port, std::string_view method, std::string_view path,
                     std::string_view body,
                     const std::vector<std::pair<std::string, std::string>>& headers) {
    std::string req = std::string(method) + " " + std::string(path) +
                      " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nConnection: close\r\n";
    bool has_type = false;
    for (auto& [k, v] : headers) {
        req += k + ": " + v + "\r\n";
        has_type = has_type || iequals(k, "Content-Type");
    }
    bool sends_body = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
    if (!body.empty() && !has_type) req += "Content-Type: application/json\r\n";
    if (sends_body) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n";
    req += body;

    HttpResponse failed;
    RawConnection conn(port);
    if (!conn.connected() || !conn.send(req)) {
        failed.reason = conn.error();
        return failed;
    }
    auto response = conn.read_response(false, method == "HEAD");
    if (!response) {
        failed.reason = conn.error();
        return failed;
    }
    return *response;
}

// ---------------------------------------------------------------------------------------------
// JSON readers

namespace {

simdjson::dom::parser& json_parser() {
    thread_local simdjson::dom::parser parser;
    return parser;
}

// The element at `key` of a freshly parsed body; valid until the next parse on this thread.
std::optional<simdjson::dom::element> json_at(std::string_view body, std::string_view key) {
    simdjson::dom::element root;
    if (json_parser().parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    if (key.empty()) return root;
    simdjson::dom::element found;
    auto err = key.front() == '/' ? root.at_pointer(key).get(found) : root[key].get(found);
    if (err != simdjson::SUCCESS) return std::nullopt;
    return found;
}

}  // namespace

bool json_valid(std::string_view body) {
    return json_at(body, "").has_value();
}

bool json_is_object(std::string_view body) {
    auto root = json_at(body, "");
    return root && root->is_object();
}

bool json_has(std::string_view body, std::string_view key) {
    return json_at(body, key).has_value();
}

std::string json_string(std::string_view body, std::string_view key) {
    auto el = json_at(body, key);
    std::string_view value;
    if (!el || el->get_string().get(value) != simdjson::SUCCESS) return {};
    return std::string(value);
}

int64_t json_int(std::string_view body, std::string_view key) {
    auto el = json_at(body, key);
    int64_t value = 0;
    if (!el || el->get_int64().get(value) != simdjson::SUCCESS) return 0;
    return value;
}

bool json_bool(std::string_view body, std::string_view key) {
    auto el = json_at(body, key);
    bool value = false;
    if (!el || el->get_bool().get(value) != simdjson::SUCCESS) return false;
    return value;
}

size_t json_array_size(std::string_view body, std::string_view key) {
    auto el = json_at(body, key);
    simdjson::dom::array array;
    if (!el || el->get_array().get(array) != simdjson::SUCCESS) return 0;
    return array.size();
}

bool json_is_null(std::string_view body, std::string_view key) {
    auto el = json_at(body, key);
    return el && el->is_null();
}

std::vector<std::string> json_keys(std::string_view body) {
    std::vector<std::string> keys;
    auto el = json_at(body, "");
    simdjson::dom::object object;
    if (!el || el->get_object().get(object) != simdjson::SUCCESS) return keys;
    for (auto field : object) keys.emplace_back(field.key);
    return keys;
}

std::string json_quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        unsigned char u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", u);
            out += esc;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// ---------------------------------------------------------------------------------------------
// SmtpSink

namespace {

// Reads one line from fd (a pipe) with a deadline.
std::optional<std::string> read_pipe_line(int fd, Deadline deadline) {
    std::string line;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return std::nullopt;
        char c = 0;
        ssize_t n = ::read(fd, &c, 1);
        if (n <= 0) return std::nullopt;
        if (c == '\n') return line;
        line += c;
    }
}

std::string decode_quoted_printable(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '=') {
            out += text[i];
        } else if (text.substr(i + 1, 2) == "\r\n") {
            i += 2;  // soft line break
        } else if (text.substr(i + 1, 1) == "\n") {
            i += 1;
        } else if (i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += '=';
        }
    }
    return out;
}

std::string decode_base64(std::string_view text) {
    static const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        auto v = alphabet.find(c);
        if (v == std::string::npos) continue;  // '=', CR, LF
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

// The message with every base64 part body decoded and appended, so links inside are visible.
std::string with_base64_parts_decoded(const std::string& message) {
    std::string out = message;
    std::istringstream in(message);
    std::string line;
    bool in_base64_headers = false;
    bool in_base64_body = false;
    std::string encoded;
    while (std::getline(in, line)) {
        std::string_view l = trim(line);
        if (lower(l).starts_with("content-transfer-encoding:") &&
            lower(l).find("base64") != std::string::npos) {
            in_base64_headers = true;
        } else if (in_base64_headers && l.empty()) {
            in_base64_headers = false;
            in_base64_body = true;
        } else if (in_base64_body && (l.empty() || l.starts_with("--"))) {
            out += "\n" + decode_base64(encoded) + "\n";
            encoded.clear();
            in_base64_body = false;
        } else if (in_base64_body) {
            encoded += l;
        }
    }
    if (!encoded.empty()) out += "\n" + decode_base64(encoded) + "\n";
    return out;
}

}  // namespace

SmtpSink::SmtpSink() : dir_("authd-smtp") {}

SmtpSink::~SmtpSink() {
    stop();
    if (::testing::Test::HasFailure() && !dir_.path().empty()) {
        std::fprintf(stderr, "---- smtp sink log ----\n%s\n", tail(log(), 4096).c_str());
    }
}

::testing::AssertionResult SmtpSink::start(int fail_first) {
    if (pid_ > 0) return ::testing::AssertionFailure() << "smtp sink already started";
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        return ::testing::AssertionFailure() << "pipe2: " << std::strerror(errno);
    }
    ExecSpec spec;
    spec.argv = {"/usr/bin/python3",
                 std::string(AUTHD_SOURCE_DIR) + "/tests/integration/smtp_sink.py",
                 "--port",
                 "0",
                 "--dir",
                 dir_.file("mail"),
                 "--fail-first",
                 std::to_string(fail_first)};
    spec.log_path = dir_.file("sink.log");
    spec.stdout_fd = pipe_fds[1];
    pid_ = spawn(spec);
    ::close(pipe_fds[1]);
    auto line = pid_ > 0 ? read_pipe_line(pipe_fds[0], Clock::now() + Millis(10000)) : std::nullopt;
    ::close(pipe_fds[0]);  // the sink prints nothing after the PORT line
    if (!line || !line->starts_with("PORT ")) {
        stop();
        return ::testing::AssertionFailure() << "smtp sink did not report its port\n" << log();
    }
    port_ = std::atoi(line->c_str() + 5);
    return ::testing::AssertionSuccess();
}

void SmtpSink::stop() {
    if (pid_ > 0) terminate(pid_, SIGTERM, Millis(5000));
    pid_ = -1;
}

std::vector<std::string> SmtpSink::messages() const {
    std::vector<std::pair<long, std::string>> found;
    std::error_code ec;
    for (auto& entry : std::filesystem::directory_iterator(dir_.file("mail"), ec)) {
        std::string name = entry.path().filename().string();
        if (!name.ends_with(".eml") || name.starts_with(".")) continue;
        found.emplace_back(std::atol(name.c_str()), entry.path().string());
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    for (auto& [seq, path] : found) out.push_back(read_file(path));
    return out;
}

std::vector<std::string> SmtpSink::wait_for_messages(size_t count, Millis timeout) {
    Deadline deadline = Clock::now() + timeout;
    for (;;) {
        auto all = messages();
        if (all.size() >= count || Clock::now() >= deadline) return all;
        std::this_thread::sleep_for(Millis(20));
    }
}

int SmtpSink::rejected_count() const {
    return std::atoi(read_file(dir_.file("mail/rejected")).c_str());
}

std::string SmtpSink::log() const {
    return read_file(dir_.file("sink.log"));
}

std::string SmtpSink::extract_link(std::string_view message, std::string_view path_prefix) {
    std::string text(message);
    if (lower(text).find("quoted-printable") != std::string::npos) {
        text = decode_quoted_printable(text);
    }
    text = with_base64_parts_decoded(text);
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto at = line.find(path_prefix);
        if (at == std::string::npos) continue;
        auto begin = line.rfind("http", at);
        if (begin == std::string::npos) {
            begin = line.find_last_of(" \t<\"'", at);
            begin = begin == std::string::npos ? 0 : begin + 1;
        }
        auto end = line.find_first_of(" \t\r<>\"'", at);
        return line.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// RedisServer

namespace {

// Parses one RESP reply starting at pos. nullopt: incomplete; "-..." for errors.
std::optional<std::string> parse_resp(const std::string& buf, size_t& pos) {
    auto eol = buf.find("\r\n", pos);
    if (eol == std::string::npos) return std::nullopt;
    char type = buf[pos];
    std::string line = buf.substr(pos + 1, eol - pos - 1);
    size_t after = eol + 2;
    if (type == '+' || type == ':') {
        pos = after;
        return line;
    }
    if (type == '-') {
        pos = after;
        return "-" + line;
    }
    long n = std::atol(line.c_str());
    if (type == '$') {
        if (n < 0) {
            pos = after;
            return "(nil)";
        }
        if (buf.size() < after + static_cast<size_t>(n) + 2) return std::nullopt;
        pos = after + static_cast<size_t>(n) + 2;
        return buf.substr(after, static_cast<size_t>(n));
    }
    if (type == '*') {
        std::string joined;
        size_t p = after;
        for (long i = 0; i < n; ++i) {
            auto item = parse_resp(buf, p);
            if (!item) return std::nullopt;
            joined += (i ? "\n" : "") + *item;
        }
        pos = p;
        return n < 0 ? "(nil)" : joined;
    }
    pos = buf.size();
    return "-harness: unknown RESP type";
}

}  // namespace

std::optional<std::string> redis_command(int port, const std::vector<std::string>& args) {
    int err = 0;
    int fd = connect_loopback(port, Millis(2000), &err);
    if (fd < 0) return std::nullopt;
    std::string req = "*" + std::to_string(args.size()) + "\r\n";
    for (auto& a : args) req += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    std::optional<std::string> reply;
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
        std::string buf;
        char chunk[4096];
        for (;;) {
            ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);  // SO_RCVTIMEO bounds this
            if (n <= 0) break;
            buf.append(chunk, static_cast<size_t>(n));
            size_t pos = 0;
            reply = parse_resp(buf, pos);
            if (reply) break;
        }
    }
    ::close(fd);
    return reply;
}

::testing::AssertionResult launch_redis_server(const std::vector<std::string>& options,
                                               const std::string& log_path, int port, pid_t& pid) {
    std::vector<std::string> argv = {"/usr/bin/redis-server"};
    argv.insert(argv.end(), options.begin(), options.end());
    pid = spawn_logged(argv, log_path);
    if (pid < 0) return ::testing::AssertionFailure() << "cannot start redis-server";
    Deadline deadline = Clock::now() + Millis(10000);
    while (redis_command(port, {"PING"}) != "PONG") {
        auto status = wait_pid(pid, Millis(0));
        if (status) {
            pid = -1;
            return ::testing::AssertionFailure()
                   << "redis-server exited (" << exit_status_code(*status) << ")";
        }
        if (Clock::now() >= deadline) {
            return ::testing::AssertionFailure() << "redis-server did not answer PING";
        }
        std::this_thread::sleep_for(Millis(20));
    }
    return ::testing::AssertionSuccess();
}

RedisServer::RedisServer() : dir_("authd-redis") {}

RedisServer::~RedisServer() {
    if (pid_ > 0) kill9();
    if (::testing::Test::HasFailure() && !dir_.path().empty()) {
        std::fprintf(stderr, "---- redis log ----\n%s\n", tail(log(), 4096).c_str());
    }
}

::testing::AssertionResult RedisServer::start() {
    if (pid_ > 0) return ::testing::AssertionFailure() << "redis already started";
    port_ = free_port();
    return launch();
}

::testing::AssertionResult RedisServer::launch() {
    std::error_code ec;
    std::filesystem::create_directories(dir_.file("data"), ec);
    std::vector<std::string> options = {"--port",        std::to_string(port_),
                                        "--bind",        "127.0.0.1",
                                        "--dir",         dir_.file("data"),
                                        "--save",        "",
                                        "--appendonly",  "yes",
                                        "--appendfsync", "always",
                                        "--daemonize",   "no",
                                        "--logfile",     ""};
    ::testing::AssertionResult started =
        launch_redis_server(options, dir_.file("redis.log"), port_, pid_);
    if (!started) started << "\n" << log();
    return started;
}

int RedisServer::stop(Millis timeout) {
    int code = terminate(pid_, SIGTERM, timeout);
    pid_ = -1;
    return code;
}

void RedisServer::kill9() {
    terminate(pid_, SIGKILL, Millis(10000));
    pid_ = -1;
}

::testing::AssertionResult RedisServer::restart() {
    stop();
    return launch();
}

::testing::AssertionResult RedisServer::restart_empty() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_.file("data"), ec);
    return launch();
}

bool RedisServer::ping() {
    auto reply = command({"PING"});
    return reply && *reply == "PONG";
}

std::string RedisServer::log() const {
    return read_file(dir_.file("redis.log"));
}

}  // namespace authd::test
