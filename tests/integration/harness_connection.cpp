// Integration-test harness: RawConnection, the loopback HTTP/1.1 client that reads responses
// (Content-Length, chunked, interim 1xx, HEAD) byte-exactly with deadlines.
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
#include "tests/integration/harness.hpp"
#include "tests/integration/harness_internal.hpp"

namespace authd::test {

using namespace detail;

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

}  // namespace authd::test
