// RedisClusterServers: starting, forming, inspecting, rearranging and stopping a loopback Redis
// Cluster for the integration tests.
#include "tests/integration/redis_cluster.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

namespace authd::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kRedisServer = "/usr/bin/redis-server";
constexpr const char* kRedisCli = "/usr/bin/redis-cli";

// fork + execve with stdout and stderr appended to `log_path`; argv is built before fork so
// the child only makes async-signal-safe calls. Dies with the test process (PDEATHSIG).
pid_t spawn_logged(const std::vector<std::string>& args, const std::string& log_path) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return -1;
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        int null_fd = ::open("/dev/null", O_RDONLY);
        ::dup2(null_fd, 0);
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(log_fd);
    return pid;
}

// Waits up to `timeout` for pid; its wait status, or nullopt while it still runs.
std::optional<int> wait_child(pid_t pid, Millis timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return status;
        if (r < 0 && errno != EINTR) return -1;  // not our child (already reaped)
        if (Clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(Millis(10));
    }
}

void stop_child(pid_t pid) {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    if (wait_child(pid, Millis(5000))) return;
    ::kill(pid, SIGKILL);
    wait_child(pid, Millis(5000));
}

std::string tail_of(const std::string& text, size_t max) {
    return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

int connect_port(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    timeval tv{2, 0};  // bounds every send and recv below
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// One RESP reply from pos, flattened to text; nullopt while incomplete.
std::optional<std::string> parse_reply(const std::string& buf, size_t& pos) {
    size_t eol = buf.find("\r\n", pos);
    if (eol == std::string::npos) return std::nullopt;
    char type = buf[pos];
    std::string line = buf.substr(pos + 1, eol - pos - 1);
    size_t after = eol + 2;
    if (type == '+' || type == ':' || type == '-') {
        pos = after;
        return type == '-' ? "-" + line : line;
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
            auto item = parse_reply(buf, p);
            if (!item) return std::nullopt;
            joined += (i ? "\n" : "") + *item;
        }
        pos = p;
        return n < 0 ? "(nil)" : joined;
    }
    pos = buf.size();
    return "-test client: unknown RESP type";
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string item;
    std::istringstream in(s);
    while (std::getline(in, item, sep)) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

// "127.0.0.1:7000@17000[,hostname]" -> 7000.
int port_in_address(const std::string& field) {
    size_t colon = field.rfind(':', field.find('@'));
    return colon == std::string::npos ? 0 : std::atoi(field.c_str() + colon + 1);
}

// Whether a CLUSTER NODES slot field ("5", "0-5460"; "[5->-id]" while migrating) holds slot.
bool covers(const std::string& field, int slot) {
    if (field.empty() || field[0] == '[') return false;
    size_t dash = field.find('-');
    int lo = std::atoi(field.c_str());
    int hi = dash == std::string::npos ? lo : std::atoi(field.c_str() + dash + 1);
    return slot >= lo && slot <= hi;
}

}  // namespace

bool redis_cluster_tools_available() {
    return ::access(kRedisServer, X_OK) == 0 && ::access(kRedisCli, X_OK) == 0;
}

RedisClusterServers::RedisClusterServers() : dir_("authd-cluster") {}

RedisClusterServers::~RedisClusterServers() {
    if (::testing::Test::HasFailure()) std::fprintf(stderr, "%s\n", logs().c_str());
    stop_all();
}

void RedisClusterServers::stop_all() {
    for (pid_t& pid : pids_) {
        stop_child(pid);
        pid = -1;
    }
}

::testing::AssertionResult RedisClusterServers::start(size_t nodes) {
    if (!pids_.empty()) return ::testing::AssertionFailure() << "cluster already started";
    std::set<int> taken;
    auto fresh_port = [&taken] {
        int p = 0;
        for (int tries = 0; tries < 50 && (p == 0 || taken.count(p)); ++tries) p = free_port();
        taken.insert(p);
        return p;
    };
    for (size_t i = 0; i < nodes; ++i) {
        int port = fresh_port();
        int bus = fresh_port();  // port + 10000 may not exist: name the bus port explicitly
        if (auto started = start_node(port, bus); !started) return started;
    }
    if (auto created = create_cluster(); !created) return created;
    return wait_cluster_ok();
}

::testing::AssertionResult RedisClusterServers::start_node(int port, int bus_port) {
    std::string dir = dir_.file("node-" + std::to_string(port));
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::vector<std::string> args = {
        kRedisServer,    "--port",         std::to_string(port),
        "--bind",        "127.0.0.1",      "--dir",
        dir,             "--cluster-enabled", "yes",
        "--cluster-config-file", dir + "/nodes.conf", "--cluster-port",
        std::to_string(bus_port), "--appendonly", "yes",
        "--save",        "",               "--daemonize",
        "no",            "--logfile",      "",
        "--cluster-require-full-coverage", "no"};
    pid_t pid = spawn_logged(args, dir + "/redis.log");
    if (pid < 0) return ::testing::AssertionFailure() << "cannot start redis-server";
    pids_.push_back(pid);
    ports_.push_back(port);
    auto deadline = Clock::now() + Millis(10000);
    while (command(port, {"PING"}) != "PONG") {
        if (wait_child(pid, Millis(0))) {
            return ::testing::AssertionFailure() << "cluster node on port " << port << " exited\n"
                                                 << logs();
        }
        if (Clock::now() >= deadline)
            return ::testing::AssertionFailure() << "node " << port << " never answered PING";
        std::this_thread::sleep_for(Millis(20));
    }
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult RedisClusterServers::create_cluster() {
    std::vector<std::string> args = {kRedisCli, "--cluster", "create"};
    for (int port : ports_) args.push_back("127.0.0.1:" + std::to_string(port));
    for (const char* a : {"--cluster-replicas", "0", "--cluster-yes"}) args.push_back(a);
    pid_t cli = spawn_logged(args, dir_.file("redis-cli.log"));
    if (cli < 0) return ::testing::AssertionFailure() << "cannot start redis-cli";
    std::optional<int> status = wait_child(cli, Millis(20000));
    if (!status) {
        stop_child(cli);
        return ::testing::AssertionFailure() << "redis-cli --cluster create hung\n" << logs();
    }
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0)
        return ::testing::AssertionFailure() << "redis-cli --cluster create failed\n" << logs();
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult RedisClusterServers::wait_cluster_ok() {
    auto deadline = Clock::now() + Millis(10000);
    for (;;) {
        size_t ok = 0;
        for (int port : ports_) {
            auto info = command(port, {"CLUSTER", "INFO"});
            if (info && info->find("cluster_state:ok") != std::string::npos) ++ok;
        }
        if (ok == ports_.size()) return ::testing::AssertionSuccess();
        if (Clock::now() >= deadline)
            return ::testing::AssertionFailure() << "cluster_state not ok on every node\n"
                                                 << logs();
        std::this_thread::sleep_for(Millis(50));
    }
}

std::optional<std::string> RedisClusterServers::command(int port,
                                                        const std::vector<std::string>& args) {
    int fd = connect_port(port);
    if (fd < 0) return std::nullopt;
    std::string req = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) req += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    std::optional<std::string> reply;
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
        std::string buf;
        char chunk[4096];
        for (;;) {
            ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) break;
            buf.append(chunk, static_cast<size_t>(n));
            size_t pos = 0;
            reply = parse_reply(buf, pos);
            if (reply) break;
        }
    }
    ::close(fd);
    return reply;
}

int RedisClusterServers::slot_of(std::string_view key) const {
    if (ports_.empty()) return -1;
    auto r = command(ports_[0], {"CLUSTER", "KEYSLOT", std::string(key)});
    return r && !r->empty() && (*r)[0] != '-' ? std::atoi(r->c_str()) : -1;
}

int RedisClusterServers::owner_of(int slot, int asked) const {
    auto nodes = command(asked, {"CLUSTER", "NODES"});
    if (!nodes) return 0;
    for (const std::string& line : split(*nodes, '\n')) {
        std::vector<std::string> f = split(line, ' ');
        if (f.size() < 9 || f[2].find("master") == std::string::npos) continue;
        for (size_t i = 8; i < f.size(); ++i) {
            if (covers(f[i], slot)) return port_in_address(f[1]);
        }
    }
    return 0;
}

std::string RedisClusterServers::node_id(int port) const {
    auto r = command(port, {"CLUSTER", "MYID"});
    return r && !r->empty() && (*r)[0] != '-' ? *r : std::string();
}

bool RedisClusterServers::move_slot(int slot, int from, int to, std::string& error) {
    const std::string s = std::to_string(slot);
    const std::string from_id = node_id(from), to_id = node_id(to);
    if (from_id.empty() || to_id.empty()) {
        error = "no node id";
        return false;
    }
    if (command(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", from_id}) != "OK" ||
        command(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", to_id}) != "OK") {
        error = "SETSLOT IMPORTING/MIGRATING refused";
        return false;
    }
    for (int batch = 0;; ++batch) {  // bounded: a test store holds a few dozen keys
        auto keys = command(from, {"CLUSTER", "GETKEYSINSLOT", s, "100"});
        if (!keys || (!keys->empty() && (*keys)[0] == '-')) {
            error = "GETKEYSINSLOT failed: " + keys.value_or("no answer");
            return false;
        }
        std::vector<std::string> list = split(*keys, '\n');
        if (list.empty()) break;
        if (batch == 100) {
            error = "too many keys to migrate";
            return false;
        }
        std::vector<std::string> migrate = {"MIGRATE", "127.0.0.1", std::to_string(to), "",
                                            "0",       "5000",      "REPLACE",          "KEYS"};
        migrate.insert(migrate.end(), list.begin(), list.end());
        auto done = command(from, migrate);
        if (done != "OK") {
            error = "MIGRATE failed: " + done.value_or("no answer");
            return false;
        }
    }
    // The new owner first (it bumps its epoch), then the old one, then the rest.
    std::vector<int> order = {to, from};
    for (int p : ports_) {
        if (p != to && p != from) order.push_back(p);
    }
    for (int p : order) {
        if (command(p, {"CLUSTER", "SETSLOT", s, "NODE", to_id}) != "OK") {
            error = "SETSLOT NODE refused by " + std::to_string(p);
            return false;
        }
    }
    auto deadline = Clock::now() + Millis(5000);
    for (;;) {
        size_t agree = 0;
        for (int p : ports_) agree += owner_of(slot, p) == to ? 1 : 0;
        if (agree == ports_.size()) return true;
        if (Clock::now() >= deadline) {
            error = "the nodes do not agree on the slot's new owner";
            return false;
        }
        std::this_thread::sleep_for(Millis(20));
    }
}

void RedisClusterServers::kill_node(int port) {
    for (size_t i = 0; i < ports_.size(); ++i) {
        if (ports_[i] != port || pids_[i] <= 0) continue;
        ::kill(pids_[i], SIGKILL);
        wait_child(pids_[i], Millis(5000));
        pids_[i] = -1;
    }
}

std::string RedisClusterServers::logs() const {
    std::string out = "---- redis-cli --cluster create ----\n" +
                      tail_of(read_file(dir_.file("redis-cli.log")), 2048) + "\n";
    for (int port : ports_) {
        out += "---- cluster node " + std::to_string(port) + " ----\n" +
               tail_of(read_file(dir_.file("node-" + std::to_string(port) + "/redis.log")), 2048) +
               "\n";
    }
    return out;
}

}  // namespace authd::test
