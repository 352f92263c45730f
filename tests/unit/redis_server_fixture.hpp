// Test helper: a private redis-server child (free loopback port, temp dir, AOF with fsync
// always, no RDB snapshots) that tests can stop, freeze, restart or restart empty, plus a
// blocking client for checks. Stopped by PID, never by name.
#pragma once
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/free_port.hpp"

namespace authd::testing_redis {

namespace fs = std::filesystem;

inline constexpr const char* redis_server_binary = "/usr/bin/redis-server";

inline bool redis_server_available() {
    return access(redis_server_binary, X_OK) == 0;
}

// redis-server cannot listen on port 0: bind 127.0.0.1:0, read the port back, release it.
inline int pick_free_port() {
    return testing_net::free_loopback_port();
}

class RedisServerProcess {
  public:
    RedisServerProcess() {
        std::string tmpl = (fs::temp_directory_path() / "authd-redis-XXXXXX").string();
        if (mkdtemp(tmpl.data())) dir_ = tmpl;
    }
    ~RedisServerProcess() {
        stop();
        std::error_code ec;
        if (!dir_.empty()) fs::remove_all(dir_, ec);
    }
    RedisServerProcess(const RedisServerProcess&) = delete;
    RedisServerProcess& operator=(const RedisServerProcess&) = delete;

    // Empty on success, else what went wrong.
    std::string start() {
        if (port_ == 0) port_ = pick_free_port();
        if (port_ == 0 || dir_.empty()) return "no free port or temp dir";
        fs::create_directories(dir_ / "data");
        std::string port = std::to_string(port_), data = (dir_ / "data").string(),
                    log = (dir_ / "redis.log").string();
        pid_ = fork();
        if (pid_ < 0) return "fork failed";
        if (pid_ == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
            execl(redis_server_binary, redis_server_binary, "--port", port.c_str(), "--bind",
                  "127.0.0.1", "--dir", data.c_str(), "--save", "", "--appendonly", "yes",
                  "--appendfsync", "always", "--logfile", log.c_str(), "--daemonize", "no",
                  static_cast<char*>(nullptr));
            _exit(127);
        }
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            if (command({"PING"}) == "PONG") return {};
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return "redis-server exited at start";
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return "redis-server did not answer PING";
    }

    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGCONT);
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    void kill9() {
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    void freeze() { kill(pid_, SIGSTOP); }  // accepts connections, answers nothing
    void thaw() { kill(pid_, SIGCONT); }
    std::string restart() {  // same port and data: the AOF is replayed
        stop();
        return start();
    }
    std::string restart_empty() {
        stop();
        std::error_code ec;
        fs::remove_all(dir_ / "data", ec);
        return start();
    }

    // One command on a fresh blocking connection: the reply as text (integers in decimal,
    // nil as "(nil)", errors as "-...", arrays joined by '\n'); "" when there is no answer.
    std::string command(const std::vector<std::string>& args) const {
        timeval tv{1, 0};
        redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
        if (!c || c->err) {
            if (c) redisFree(c);
            return {};
        }
        redisSetTimeout(c, tv);
        std::vector<const char*> argv;
        std::vector<size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        auto* r = static_cast<redisReply*>(
            redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
        std::string out = r ? text(r) : std::string();
        if (r) freeReplyObject(r);
        redisFree(c);
        return out;
    }

    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    std::string url(int db = 0) const {
        return "redis://127.0.0.1:" + std::to_string(port_) + (db ? "/" + std::to_string(db) : "");
    }

  private:
    static std::string text(const redisReply* r) {
        switch (r->type) {
            case REDIS_REPLY_INTEGER:
                return std::to_string(r->integer);
            case REDIS_REPLY_NIL:
                return "(nil)";
            case REDIS_REPLY_ERROR:
                return "-" + std::string(r->str, r->len);
            case REDIS_REPLY_ARRAY: {
                std::string out;
                for (size_t i = 0; i < r->elements; ++i)
                    out += (i ? "\n" : "") + text(r->element[i]);
                return out;
            }
            default:
                return std::string(r->str, r->len);
        }
    }

    fs::path dir_;
    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace authd::testing_redis
