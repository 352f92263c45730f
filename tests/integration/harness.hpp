// Integration-test harness: runs the real authd binary (and SMTP / Redis fixtures) as child
// processes and talks to it over raw loopback sockets. Every wait here has a bounded timeout.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace authd::test {

using Millis = std::chrono::milliseconds;

// A free TCP port on 127.0.0.1 (bound to port 0, read back, closed). Another process may take
// it before it is used; on loopback in a test run that is rare enough to accept.
int free_port();

// Waits until a TCP connect to 127.0.0.1:port is refused (nothing listens any more).
bool wait_port_closed(int port, Millis timeout);

// A directory under $TMPDIR (or /tmp) removed with its contents on destruction, unless the
// current test failed (then it is kept and its path printed) or keep() was called.
class TempDir {
  public:
    explicit TempDir(std::string_view prefix = "authd-it");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }
    void keep() { keep_ = true; }

  private:
    std::string path_;
    bool keep_ = false;
};

struct HttpResponse {
    int status = 0;       // 0: no response (reason then holds what went wrong)
    std::string reason;   // reason phrase as sent
    std::string version;  // "HTTP/1.1" or "HTTP/1.0"
    std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
    std::string body;                                          // de-chunked
    bool chunked = false;

    // Value of the first header with that name (case-insensitive), or "" when absent.
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
    // Number of headers with that name (case-insensitive).
    size_t header_count(std::string_view name) const;
};

// Reads a whole file; "" when it does not exist.
std::string read_file(const std::string& path);

// Outcome of a child's exit as one number: the exit code if it exited, 128 + signal if a signal
// ended it, -1 if it is still running after the wait or was never started.
int exit_status_code(int wait_status);

// fork + execve of argv[0] with our environment: stdin /dev/null, stdout and stderr appended to
// log_path. The child dies with the test process (PR_SET_PDEATHSIG). -1 when it cannot start.
pid_t spawn_logged(const std::vector<std::string>& argv, const std::string& log_path);

// Waits up to `timeout` for pid to exit: its wait status (-1 when it is not our child any
// more), or nullopt while it still runs.
std::optional<int> wait_pid(pid_t pid, Millis timeout);

// Sends sig to pid, waits up to `timeout`, then SIGKILLs and reaps it. Returns
// exit_status_code(); -1 for pid <= 0.
int terminate(pid_t pid, int sig, Millis timeout);

// One command to the Redis at 127.0.0.1:port; the reply as text: simple strings and bulk
// strings as is, integers in decimal, errors as "-ERR ...", nil as "(nil)", arrays as lines
// joined by '\n'. nullopt: no connection, or no whole reply within 2 s.
std::optional<std::string> redis_command(int port, const std::vector<std::string>& args);

// Starts /usr/bin/redis-server with `options` (output appended to log_path) and waits up to
// 10 s until it answers PING on `port`. `pid` is the child, or -1 when it could not start or
// has exited; the failure says which of the three went wrong (without the log).
::testing::AssertionResult launch_redis_server(const std::vector<std::string>& options,
                                               const std::string& log_path, int port, pid_t& pid);

// True when the environment asks for the shared store: AUTHD_TEST_BACKEND=redis. Then every
// ServerProcess whose test does not choose AUTHD_STORE itself runs on its own RedisServer.
bool redis_backend_requested();

class RedisServer;

// The running authd under test: `AUTHD_BINARY serve` with a fresh temp dir for its data and log.
class ServerProcess {
  public:
    ServerProcess();
    ~ServerProcess();  // SIGKILLs the server if it still runs; prints its log if the test failed
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    // Starts the server and waits (bounded) for GET /healthz → 200. Defaults: AUTHD_LISTEN on a
    // free loopback port, AUTHD_STORE=file:<temp>/data (with AUTHD_TEST_BACKEND=redis: the URL
    // of a RedisServer started for this ServerProcess and kept across restarts),
    // AUTHD_THREADS=2, a test AUTHD_SECRET_KEY.
    // `env` entries override these; an entry with an empty value removes that variable. Other
    // AUTHD_* variables of the test's own environment are not passed on. `args` follow `serve`.
    ::testing::AssertionResult start(std::map<std::string, std::string> env = {},
                                     std::vector<std::string> args = {});
    // Stops (SIGTERM; SIGKILL after `timeout`) and starts again with the same environment,
    // data directory and port.
    ::testing::AssertionResult restart(Millis timeout = Millis(15000));

    // SIGTERM, then waits up to `timeout` before SIGKILL. Returns exit_status_code().
    int stop(Millis timeout = Millis(15000));
    void kill9();          // SIGKILL and reap, no shutdown work at all
    void signal(int sig);  // sends sig, does not wait
    // Waits up to `timeout` for the process to exit by itself; returns exit_status_code().
    int wait_exit(Millis timeout);
    bool running();

    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    const std::string& dir() const { return dir_.path(); }  // temp dir (data/, server.log)
    std::string data_dir() const { return dir_.file("data"); }
    std::string log() const;  // stdout and stderr of every start so far
    const std::map<std::string, std::string>& env() const { return env_; }
    // The RedisServer behind AUTHD_STORE under AUTHD_TEST_BACKEND=redis, else nullptr.
    RedisServer* redis() const { return redis_.get(); }

  private:
    ::testing::AssertionResult launch();
    ::testing::AssertionResult wait_healthy(Millis timeout);

    std::unique_ptr<RedisServer> redis_;  // outlives the server process (killed first)
    TempDir dir_;
    std::map<std::string, std::string> env_;
    std::vector<std::string> args_;
    int port_ = 0;
    pid_t pid_ = -1;
    int last_status_ = -1;
};

// One client TCP connection to 127.0.0.1:port with bounded reads. Keeps bytes received beyond
// one response for the next read_response(), so pipelined answers are read one by one.
class RawConnection {
  public:
    explicit RawConnection(int port, Millis timeout = Millis(5000));
    ~RawConnection();
    RawConnection(RawConnection&& other) noexcept;
    RawConnection& operator=(RawConnection&&) = delete;
    RawConnection(const RawConnection&) = delete;

    bool connected() const { return fd_ >= 0; }
    int connect_errno() const { return connect_errno_; }
    int fd() const { return fd_; }
    bool send(std::string_view bytes);
    // Parses the next response. 1xx answers are skipped unless return_interim; a response to
    // HEAD (head_request) has no body. nullopt on timeout, close or a malformed answer; error()
    // then says which.
    std::optional<HttpResponse> read_response(bool return_interim = false,
                                              bool head_request = false);
    // True when the peer closes (read returns 0 or ECONNRESET) within timeout_ms. Bytes that
    // arrive meanwhile are kept for read_response() / buffered().
    bool closed_by_peer(int timeout_ms);
    // Everything received (including bytes already buffered) until the peer closes or timeout.
    std::string read_all_until_close(int timeout_ms);
    const std::string& buffered() const { return buf_; }
    const std::string& error() const { return error_; }
    void close();

  private:
    enum class Fill { data, closed, timeout, error };
    Fill fill(std::chrono::steady_clock::time_point deadline);
    bool read_line(std::string& line, std::chrono::steady_clock::time_point deadline);
    bool read_exact(size_t n, std::string& out, std::chrono::steady_clock::time_point deadline);
    bool read_chunked(std::string& out, std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    int connect_errno_ = 0;
    Millis timeout_;
    std::string buf_;
    std::string error_;
};

// One request on a fresh connection (`Connection: close`). A non-empty body without a
// Content-Type header is sent as application/json. status 0 on failure, reason says why.
HttpResponse request(int port, std::string_view method, std::string_view path,
                     std::string_view body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {});

// Tiny JSON readers for assertions (simdjson DOM). `key` is a top-level member name, or a JSON
// pointer when it starts with '/' ("/token/0", "/user/id"). Missing or wrong type: "", 0, false.
bool json_valid(std::string_view body);
bool json_is_object(std::string_view body);
bool json_has(std::string_view body, std::string_view key);
std::string json_string(std::string_view body, std::string_view key);
int64_t json_int(std::string_view body, std::string_view key);
bool json_bool(std::string_view body, std::string_view key);
size_t json_array_size(std::string_view body, std::string_view key);  // "" key: the root
bool json_is_null(std::string_view body, std::string_view key);
std::vector<std::string> json_keys(std::string_view body);  // members of the root object
// The body of a JSON string, escaped, for building request bodies: "a\"b" from a"b.
std::string json_quote(std::string_view text);

// tests/integration/smtp_sink.py run with /usr/bin/python3: a real SMTP server on loopback.
class SmtpSink {
  public:
    SmtpSink();
    ~SmtpSink();
    SmtpSink(const SmtpSink&) = delete;
    SmtpSink& operator=(const SmtpSink&) = delete;

    // Starts the sink; the first `fail_first` messages get 451 (temporary failure).
    ::testing::AssertionResult start(int fail_first = 0);
    void stop();
    int port() const { return port_; }
    std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

    std::vector<std::string> messages() const;  // all received so far, in order
    // Waits (bounded) until at least `count` messages arrived; returns all of them (fewer on
    // timeout).
    std::vector<std::string> wait_for_messages(size_t count, Millis timeout = Millis(10000));
    int rejected_count() const;  // how many 451 answers were given
    std::string log() const;

    // The first URL in `message` that contains `path_prefix` (soft line breaks of a
    // quoted-printable body are undone first), or "".
    static std::string extract_link(std::string_view message, std::string_view path_prefix);

  private:
    TempDir dir_;
    pid_t pid_ = -1;
    int port_ = 0;
};

// /usr/bin/redis-server on a free loopback port with its own temp dir, AOF with fsync always.
class RedisServer {
  public:
    RedisServer();
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    ::testing::AssertionResult start();
    int stop(Millis timeout = Millis(10000));  // SIGTERM; returns exit_status_code()
    void kill9();
    ::testing::AssertionResult restart();        // same port and data (the AOF is replayed)
    ::testing::AssertionResult restart_empty();  // same port, data directory wiped
    bool ping();
    // Runs one command and returns the reply as text, as redis_command() does.
    std::optional<std::string> command(const std::vector<std::string>& args) {
        return redis_command(port_, args);
    }

    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
    std::string log() const;

  private:
    ::testing::AssertionResult launch();

    TempDir dir_;
    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace authd::test
