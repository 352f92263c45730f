// Shared helpers of the /auth/ integration tests (test_auth_*.cpp): a fixture that runs authd
// with a real SMTP sink and directly usable links, mail parsing, child commands (JWT crafting:
// auth_v1_tokens.hpp).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "tests/integration/auth_v1_tokens.hpp"
#include "tests/integration/harness.hpp"

extern char** environ;

namespace authd::test::v1 {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Our own key (not the harness default) so tests can sign tokens with it and with others.
inline constexpr const char* kSecretKey = "auth-v1-integration-secret-key-0123456789abcdef-xyz";
inline constexpr const char* kPassword = "Quiet-Harbor-Lantern-42";
inline constexpr const char* kNewPassword =
    "Amber Fox+Jumps&Over 100% =ok";  // form-encoding hostile
inline constexpr const char* kBrowserAccept =
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
inline constexpr const char* kRequired = "This field is required.";
inline constexpr const char* kNotAString = "Not a valid string.";
inline constexpr const char* kInvalidCredentials =
    "No active account found with the given credentials";
inline constexpr const char* kResetRequested =
    "If an account exists for this email, a reset link has been sent.";

// ---------------------------------------------------------------------------------------------
// Text helpers

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

inline bool contains(std::string_view hay, std::string_view needle) {
    return hay.find(needle) != std::string_view::npos;
}

inline bool icontains(std::string_view hay, std::string_view needle) {
    return lower(hay).find(lower(needle)) != std::string::npos;
}

inline bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

inline int64_t now_seconds() {
    return static_cast<int64_t>(std::time(nullptr));
}

inline std::string url_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

inline std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (auto& [k, v] : fields) {
        if (!out.empty()) out += '&';
        out += url_encode(k) + "=" + url_encode(v);
    }
    return out;
}

// A JSON object of string members: {"k": "v", ...}.
inline std::string json_object(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out = "{";
    for (auto& [k, v] : fields) {
        if (out.size() > 1) out += ", ";
        out += json_quote(k) + ": " + json_quote(v);
    }
    return out + "}";
}

inline bool has_field_error(const HttpResponse& r, std::string_view field,
                            std::string_view message) {
    std::string key = "/" + std::string(field);
    for (size_t i = 0; i < json_array_size(r.body, key); ++i) {
        if (json_string(r.body, key + "/" + std::to_string(i)) == message) return true;
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// Mail parsing: the decoded text/plain part of a message as the sink stored it.

inline std::string decode_qp(std::string_view in) {
    std::string out;
    auto hexval = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '=') {
            out += in[i];
            continue;
        }
        if (i + 1 < in.size() && in[i + 1] == '\n') {
            ++i;
            continue;
        }
        if (i + 2 < in.size() && in[i + 1] == '\r' && in[i + 2] == '\n') {
            i += 2;
            continue;
        }
        if (i + 2 < in.size() && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0) {
            out += static_cast<char>(hexval(in[i + 1]) * 16 + hexval(in[i + 2]));
            i += 2;
            continue;
        }
        out += '=';
    }
    return out;
}

inline std::string crlf_to_lf(std::string_view in) {
    std::string out;
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') continue;
        out += in[i];
    }
    return out;
}

// Value of a header (first occurrence, unfolded) in a header block; "" when absent.
inline std::string mime_header(std::string_view block, std::string_view name) {
    std::string lf = crlf_to_lf(block);
    std::string want = lower(name) + ":";
    size_t pos = 0;
    while (pos < lf.size()) {
        size_t eol = lf.find('\n', pos);
        std::string line = lf.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
        pos = eol == std::string::npos ? lf.size() : eol + 1;
        if (!lower(line).starts_with(want)) continue;
        std::string value = line.substr(want.size());
        while (pos < lf.size() && (lf[pos] == ' ' || lf[pos] == '\t')) {  // folded continuation
            eol = lf.find('\n', pos);
            value += " " + lf.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
            pos = eol == std::string::npos ? lf.size() : eol + 1;
        }
        size_t b = value.find_first_not_of(" \t");
        return b == std::string::npos ? "" : value.substr(b);
    }
    return {};
}

inline std::string decode_part_body(std::string_view headers, std::string_view body) {
    std::string cte = lower(mime_header(headers, "Content-Transfer-Encoding"));
    if (contains(cte, "quoted-printable")) return crlf_to_lf(decode_qp(body));
    if (contains(cte, "base64")) return crlf_to_lf(b64_decode(body).value_or(""));
    return crlf_to_lf(body);
}

inline std::pair<std::string_view, std::string_view> split_head_body(std::string_view msg) {
    size_t sep = msg.find("\r\n\r\n");
    size_t skip = 4;
    if (sep == std::string_view::npos) {
        sep = msg.find("\n\n");
        skip = 2;
    }
    if (sep == std::string_view::npos) return {msg, {}};
    return {msg.substr(0, sep + 2), msg.substr(sep + skip)};
}

// The text/plain content of a stored message (the first text/plain part of a multipart one).
inline std::string mail_text(std::string_view message) {
    auto [head, body] = split_head_body(message);
    std::string type = mime_header(head, "Content-Type");
    if (!icontains(type, "multipart/")) return decode_part_body(head, body);
    size_t b = lower(type).find("boundary=");
    if (b == std::string::npos) return {};
    std::string boundary = type.substr(b + 9);
    if (!boundary.empty() && boundary[0] == '"') {
        boundary = boundary.substr(1, boundary.find('"', 1) - 1);
    } else {
        boundary = boundary.substr(0, boundary.find_first_of("; \t"));
    }
    std::string delim = "--" + boundary;
    size_t pos = body.find(delim);
    while (pos != std::string_view::npos) {
        size_t start = body.find('\n', pos);
        if (start == std::string_view::npos) break;
        size_t next = body.find("\n" + delim, start);
        std::string_view part = body.substr(
            start + 1, next == std::string_view::npos ? std::string_view::npos : next - start - 1);
        auto [ph, pb] = split_head_body(part);
        if (icontains(mime_header(ph, "Content-Type"), "text/plain"))
            return decode_part_body(ph, pb);
        pos = next == std::string_view::npos ? next : next + 1;
    }
    return {};
}

// The mail's header block (after the sink's envelope lines), for Subject/To checks.
inline std::string mail_head(std::string_view message) {
    return std::string(split_head_body(message).first);
}

// The line of `text` that starts with `prefix`, when that line is nothing but a URL.
inline std::string line_starting_with(std::string_view text, std::string_view prefix) {
    std::string lf = crlf_to_lf(text);
    size_t pos = 0;
    while (pos <= lf.size()) {
        size_t eol = lf.find('\n', pos);
        std::string line = lf.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
        if (line.starts_with(prefix)) return line;
        if (eol == std::string::npos) break;
        pos = eol + 1;
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// Running `authd <args>` to completion (createsuperuser).

struct CommandResult {
    int exit_code = -1;  // exit_status_code(); -1 when it had to be killed after the timeout
    std::string out;
    std::string err;
};

inline CommandResult run_authd(const std::vector<std::string>& args,
                               const std::map<std::string, std::string>& env,
                               std::chrono::milliseconds timeout = 60s) {
    TempDir tmp("authd-cmd");
    std::string out_path = tmp.file("stdout"), err_path = tmp.file("stderr");
    std::vector<std::string> argv_s = {AUTHD_BINARY};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<std::string> env_s;
    for (char** e = environ; *e != nullptr; ++e) {
        if (!std::string_view(*e).starts_with("AUTHD_")) env_s.emplace_back(*e);
    }
    for (auto& [k, v] : env) {
        if (!v.empty()) env_s.push_back(k + "=" + v);
    }
    std::vector<char*> argv, envp;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    CommandResult result;
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {  // only async-signal-safe calls from here
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        ::dup2(null_fd, 0);
        ::dup2(out_fd, 1);
        ::dup2(err_fd, 2);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(out_fd);
    ::close(err_fd);
    ::close(null_fd);
    if (pid < 0) return result;
    auto deadline = Clock::now() + timeout;
    int status = 0;
    for (;;) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            result.exit_code = exit_status_code(status);
            break;
        }
        if (Clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            result.err = "[killed after the timeout]\n";
            break;
        }
        std::this_thread::sleep_for(10ms);
    }
    result.out = read_file(out_path);
    result.err += read_file(err_path);
    return result;
}

// ---------------------------------------------------------------------------------------------
// Fixture

struct TokenPair {
    std::string access;
    std::string refresh;
};

struct User {
    int64_t id = 0;
    std::string username;
    std::string email;
    std::string password;
};

// One authd with fast Argon2, a real SMTP sink and AUTHD_PUBLIC_URL on its own port, so the
// links in the mails can be requested as they are.
class AuthV1Fixture : public ::testing::Test {
  protected:
    void TearDown() override {
        if (server_.running()) {
            EXPECT_EQ(server_.stop(), 0) << "authd did not exit 0 on SIGTERM";
        }
        if (::testing::Test::HasFailure()) {
            std::fprintf(stderr, "---- SMTP sink log ----\n%s\n", sink_.log().c_str());
        }
    }

    std::map<std::string, std::string> base_env() {
        if (port_ == 0) port_ = free_port();
        return {{"AUTHD_LISTEN", "127.0.0.1:" + std::to_string(port_)},
                {"AUTHD_PUBLIC_URL", public_url()},
                {"AUTHD_SMTP_URL", sink_.url()},
                {"AUTHD_ARGON2_OPS", "1"},
                {"AUTHD_ARGON2_MEMORY_KIB", "1024"},
                {"AUTHD_SECRET_KEY", kSecretKey}};
    }

    // Starts the sink (once) and the server; `extra` overrides the defaults.
    ::testing::AssertionResult start(std::map<std::string, std::string> extra = {}) {
        if (sink_.port() == 0) {
            auto s = sink_.start();
            if (!s) return s;
        }
        auto env = base_env();
        for (auto& [k, v] : extra) env[k] = v;
        return server_.start(env);
    }

    std::string public_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::string path_of(std::string_view url) const {
        std::string base = public_url();
        return url.starts_with(base) ? std::string(url.substr(base.size())) : std::string(url);
    }

    HttpResponse post_json(std::string_view path, std::string_view body,
                           Headers headers = {}) const {
        headers.emplace_back("Content-Type", "application/json");
        return request(server_.port(), "POST", path, body, headers);
    }
    HttpResponse post_form(std::string_view path, std::string_view body,
                           Headers headers = {}) const {
        headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        return request(server_.port(), "POST", path, body, headers);
    }
    HttpResponse get(std::string_view path, Headers headers = {}) const {
        return request(server_.port(), "GET", path, {}, headers);
    }

    HttpResponse signup(std::string_view username, std::string_view email,
                        std::string_view password = kPassword) const {
        return post_json("/auth/signup/", json_object({{"username", std::string(username)},
                                                       {"email", std::string(email)},
                                                       {"password", std::string(password)}}));
    }
    HttpResponse login(std::string_view username, std::string_view password) const {
        return post_json("/auth/token/", json_object({{"username", std::string(username)},
                                                      {"password", std::string(password)}}));
    }
    std::optional<TokenPair> tokens(std::string_view username, std::string_view password) const {
        HttpResponse r = login(username, password);
        if (r.status != 200) return std::nullopt;
        return TokenPair{json_string(r.body, "access"), json_string(r.body, "refresh")};
    }
    HttpResponse validate(std::string_view token) const {
        return post_json("/auth/validate_token/", json_object({{"token", std::string(token)}}));
    }
    bool token_valid(std::string_view token) const {
        HttpResponse r = validate(token);
        return r.status == 200 && json_bool(r.body, "valid");
    }
    HttpResponse refresh(std::string_view token) const {
        return post_json("/auth/token/refresh/", json_object({{"refresh", std::string(token)}}));
    }
    HttpResponse request_reset(std::string_view email) const {
        return post_json("/auth/reset_password/", json_object({{"email", std::string(email)}}));
    }

    // Messages the sink received for `email` (envelope recipient, case-insensitive).
    std::vector<std::string> mails_to(std::string_view email) const {
        std::vector<std::string> out;
        std::string want = "<" + lower(email) + ">";
        for (auto& m : sink_.messages()) {
            std::string rcpt = lower(mime_header(m, "X-Sink-Rcpt-To"));
            if (contains(rcpt, want)) out.push_back(m);
        }
        return out;
    }

    // Waits (bounded) for the `nth` (1-based) mail to `email`; "" on timeout.
    std::string wait_mail_to(std::string_view email, size_t nth = 1,
                             std::chrono::milliseconds timeout = 15s) const {
        auto deadline = Clock::now() + timeout;
        for (;;) {
            auto mails = mails_to(email);
            if (mails.size() >= nth) return mails[nth - 1];
            if (Clock::now() >= deadline) return {};
            std::this_thread::sleep_for(20ms);
        }
    }

    // The link of a mail: the line of its text part that starts with <public url><path_prefix>.
    // The whole line must be the link (API.md §7), ending with '/'.
    std::string link_in(std::string_view message, std::string_view path_prefix) const {
        std::string text = mail_text(message);
        std::string line = line_starting_with(text, public_url() + std::string(path_prefix));
        EXPECT_FALSE(line.empty()) << "no line starting with the link in the text part:\n" << text;
        EXPECT_EQ(line.find_first_of(" \t<>\""), std::string::npos)
            << "the link line holds more: " << line;
        EXPECT_TRUE(line.ends_with("/")) << line;
        return line;
    }

    // Waits for the nth mail to `email` and returns the path (no scheme/host) of its link.
    std::string mailed_path(std::string_view email, std::string_view path_prefix,
                            size_t nth = 1) const {
        std::string mail = wait_mail_to(email, nth);
        EXPECT_FALSE(mail.empty())
            << "no mail #" << nth << " to " << email << " within the timeout";
        if (mail.empty()) return {};
        return path_of(link_in(mail, path_prefix));
    }

    // Signup, verification link from the mail, GET it: an active CLIENT.
    User active_user(std::string_view username, std::string_view email,
                     std::string_view password = kPassword) const {
        User u{0, std::string(username), std::string(email), std::string(password)};
        HttpResponse r = signup(username, email, password);
        EXPECT_EQ(r.status, 201) << r.body;
        if (r.status != 201) return u;
        std::string path = mailed_path(email, "/auth/verify-email/");
        HttpResponse v = get(path);
        EXPECT_EQ(v.status, 200) << path << " → " << v.body;
        if (v.status == 200) u.id = json_int(r.body, "id");
        return u;
    }

    SmtpSink sink_;
    ServerProcess server_;
    int port_ = 0;
};

inline void expect_link_page_headers(const HttpResponse& r, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");
    EXPECT_EQ(r.header("X-Frame-Options"), "DENY");
    std::string csp = r.header("Content-Security-Policy");
    EXPECT_TRUE(contains(csp, "default-src 'none'") || contains(csp, "default-src 'self'"))
        << "CSP: " << csp;
    EXPECT_TRUE(contains(csp, "frame-ancestors 'none'")) << "CSP: " << csp;
    EXPECT_TRUE(contains(lower(r.header("Cache-Control")), "no-store"))
        << r.header("Cache-Control");
}

inline bool is_html(const HttpResponse& r) {
    return lower(r.header("Content-Type")).starts_with("text/html");
}
inline bool is_json(const HttpResponse& r) {
    return lower(r.header("Content-Type")).starts_with("application/json");
}

// The exact DRF detail/code body check.
inline void expect_detail(const HttpResponse& r, int status, std::string_view detail,
                          std::string_view code = {}) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(json_string(r.body, "detail"), detail) << r.body;
    if (!code.empty()) {
        EXPECT_EQ(json_string(r.body, "code"), code) << r.body;
    }
}

}  // namespace authd::test::v1
