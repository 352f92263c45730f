// Test helpers for mail: runs tests/integration/smtp_sink.py (a real SMTP server on loopback),
// scripted one-connection SMTP servers, and MIME/quoted-printable decoding to read messages back.
#pragma once
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/free_port.hpp"

namespace authd::testing_mail {

namespace fs = std::filesystem;

// tests/integration/smtp_sink.py: $AUTHD_SOURCE_DIR, else the first ancestor of the working
// directory or of this executable that holds it (build trees live inside the source tree).
inline std::optional<fs::path> find_sink_script() {
    const fs::path rel = "tests/integration/smtp_sink.py";
    std::error_code ec;
    if (const char* dir = std::getenv("AUTHD_SOURCE_DIR"); dir && *dir) {
        if (fs::exists(fs::path(dir) / rel, ec)) return fs::path(dir) / rel;
    }
    for (fs::path start :
         {fs::current_path(ec), fs::read_symlink("/proc/self/exe", ec).parent_path()}) {
        for (fs::path p = start; !p.empty(); p = p.parent_path()) {
            if (fs::exists(p / rel, ec)) return p / rel;
            if (p == p.root_path()) break;
        }
    }
    return std::nullopt;
}

inline std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A temporary directory removed with everything in it.
class TempDir {
  public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "authd-mail-XXXXXX").string();
        if (mkdtemp(tmpl.data())) path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        if (!path_.empty()) fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

// The sink as a child process; stopped with SIGTERM by the destructor.
class SmtpSinkProcess {
  public:
    SmtpSinkProcess() = default;
    SmtpSinkProcess(const SmtpSinkProcess&) = delete;
    SmtpSinkProcess& operator=(const SmtpSinkProcess&) = delete;
    ~SmtpSinkProcess() { stop(); }

    // Empty on success, else what went wrong.
    std::string start(int fail_first = 0) {
        auto script = find_sink_script();
        if (!script) return "tests/integration/smtp_sink.py not found (set AUTHD_SOURCE_DIR)";
        if (dir_.path().empty()) return "mkdtemp failed";
        mail_dir_ = dir_.path() / "mail";
        int out[2];
        if (pipe2(out, O_CLOEXEC) != 0) return "pipe failed";
        const std::string script_s = script->string(), dir_s = mail_dir_.string(),
                          fail_s = std::to_string(fail_first);
        pid_ = fork();
        if (pid_ == 0) {
            dup2(out[1], STDOUT_FILENO);
            execl("/usr/bin/python3", "python3", script_s.c_str(), "--port", "0", "--dir",
                  dir_s.c_str(), "--fail-first", fail_s.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        close(out[1]);
        std::string got = read_line(out[0], std::chrono::seconds(20));
        close(out[0]);
        if (got.rfind("PORT ", 0) != 0) {
            stop();
            return "smtp sink did not start (is python3-aiosmtpd installed?): '" + got + "'";
        }
        port_ = std::atoi(got.c_str() + 5);
        return {};
    }

    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    int port() const { return port_; }
    std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

    // The stored messages "1.eml", "2.eml", ... in order.
    std::vector<std::string> messages() const {
        std::vector<std::string> out;
        for (int i = 1;; ++i) {
            fs::path p = mail_dir_ / (std::to_string(i) + ".eml");
            std::error_code ec;
            if (!fs::exists(p, ec)) return out;
            out.push_back(read_file(p));
        }
    }

    std::vector<std::string> wait_for_messages(size_t count,
                                               std::chrono::milliseconds timeout) const {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto all = messages();
            if (all.size() >= count || std::chrono::steady_clock::now() >= deadline) return all;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

  private:
    static std::string read_line(int fd, std::chrono::milliseconds timeout) {
        std::string line;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (line.find('\n') == std::string::npos) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
            char buf[256];
            ssize_t n = read(fd, buf, sizeof buf);
            if (n <= 0) break;
            line.append(buf, static_cast<size_t>(n));
        }
        return line.substr(0, line.find('\n'));
    }

    TempDir dir_;
    fs::path mail_dir_;
    pid_t pid_ = -1;
    int port_ = 0;
};

// A loopback listener whose port nobody will be listening on after close() (connection refused).
inline int closed_port() {
    return testing_net::free_loopback_port();
}

// A loopback SMTP server for one connection, run on its own thread: answers the greeting and
// every command from `replies` (by the command's first word, default "250 ok"), or, when
// `silent`, accepts and never says anything (a hung server).
class ScriptedSmtpServer {
  public:
    using Replies = std::vector<std::pair<std::string, std::string>>;  // command verb -> reply line
    explicit ScriptedSmtpServer(Replies replies, bool silent = false)
        : replies_(std::move(replies)), silent_(silent) {
        listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        listen(listen_fd_, 8);
        socklen_t len = sizeof a;
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ScriptedSmtpServer(const ScriptedSmtpServer&) = delete;
    ScriptedSmtpServer& operator=(const ScriptedSmtpServer&) = delete;
    ~ScriptedSmtpServer() {
        done_ = true;
        thread_.join();
        close(listen_fd_);
    }
    std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
    bool accepted() const { return accepted_; }

  private:
    bool wait_readable(int fd) {
        while (!done_) {
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, 20) > 0) return true;
        }
        return false;
    }

    std::string reply_for(const std::string& line) const {
        std::string verb = line.substr(0, line.find_first_of(" :\r"));
        for (auto& [v, r] : replies_) {
            if (v == verb) return r;
        }
        return "250 ok";
    }

    void serve() {
        if (!wait_readable(listen_fd_)) return;
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        accepted_ = true;
        if (!silent_) send_line(fd, "220 scripted ESMTP");
        std::string buf;
        while (wait_readable(fd)) {
            char tmp[1024];
            ssize_t n = recv(fd, tmp, sizeof tmp, 0);
            if (n <= 0) break;
            buf.append(tmp, static_cast<size_t>(n));
            for (size_t eol; !silent_ && (eol = buf.find("\r\n")) != std::string::npos;) {
                std::string line = buf.substr(0, eol);
                buf.erase(0, eol + 2);
                send_line(fd, reply_for(line));
            }
        }
        close(fd);
    }

    static void send_line(int fd, const std::string& line) {
        std::string l = line + "\r\n";
        [[maybe_unused]] ssize_t w = send(fd, l.data(), l.size(), MSG_NOSIGNAL);
    }

    Replies replies_;
    bool silent_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> done_{false};
    std::atomic<bool> accepted_{false};
    std::thread thread_;
};

// Decodes quoted-printable (soft breaks removed, =XX decoded); CRLF stays CRLF.
inline std::string decode_quoted_printable(std::string_view in) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    std::string out;
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '=') {
            out += in[i];
        } else if (in.substr(i + 1, 2) == "\r\n") {
            i += 2;
        } else if (i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
            out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
            i += 2;
        } else {
            out += '=';
        }
    }
    return out;
}

// A MIME message split into its header block and body.
struct ParsedPart {
    std::string headers;  // CRLF-separated, without the blank line
    std::string body;
    // The field's value, unfolded (CRLF + whitespace becomes one space).
    std::string header(std::string_view name) const {
        std::string needle = "\r\n" + std::string(name) + ": ";
        std::string h = "\r\n" + headers + "\r\n";
        size_t at = h.find(needle);
        if (at == std::string::npos) return {};
        std::string value;
        for (size_t i = at + needle.size(); i < h.size(); ++i) {
            if (h.compare(i, 2, "\r\n") == 0) {
                if (i + 2 >= h.size() || (h[i + 2] != ' ' && h[i + 2] != '\t')) break;
                value += ' ';
                i += 2;
                continue;
            }
            value += h[i];
        }
        return value;
    }
};

inline ParsedPart split_part(std::string_view raw) {
    size_t blank = raw.find("\r\n\r\n");
    if (blank == std::string_view::npos) return {std::string(raw), {}};
    return {std::string(raw.substr(0, blank)), std::string(raw.substr(blank + 4))};
}

// The parts of a multipart message (each with its own headers), by the boundary in Content-Type.
inline std::vector<ParsedPart> mime_parts(std::string_view message) {
    ParsedPart top = split_part(message);
    std::string type = top.header("Content-Type");
    size_t b = type.find("boundary=\"");
    if (b == std::string::npos) return {top};
    std::string boundary = type.substr(b + 10, type.find('"', b + 10) - b - 10);
    std::vector<ParsedPart> parts;
    std::string delim = "--" + boundary;
    size_t pos = top.body.find(delim);
    while (pos != std::string::npos) {
        size_t start = pos + delim.size();
        if (top.body.compare(start, 2, "--") == 0) break;
        start += 2;  // CRLF after the delimiter
        size_t next = top.body.find("\r\n" + delim, start);
        if (next == std::string::npos) break;
        parts.push_back(split_part(std::string_view(top.body).substr(start, next - start)));
        pos = next + 2;
    }
    return parts;
}

}  // namespace authd::testing_mail
