// Integration-test harness: the service children tests talk to: the SMTP sink (smtp_sink.py,
// messages and links read back) and redis-server (started on a free port, RESP commands).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
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
#include "tests/integration/base64_decode.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/harness_internal.hpp"

namespace authd::test {

using namespace detail;

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
            out += "\n" + b64_decode(encoded).value_or("") + "\n";
            encoded.clear();
            in_base64_body = false;
        } else if (in_base64_body) {
            encoded += l;
        }
    }
    if (!encoded.empty()) out += "\n" + b64_decode(encoded).value_or("") + "\n";
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
