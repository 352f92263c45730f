// RedisClusterServers: starting, forming, inspecting, rearranging and stopping a loopback Redis
// Cluster for the integration tests.
#include "tests/integration/redis_cluster.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

std::string tail_of(const std::string& text, size_t max) {
    return text.size() <= max ? text : "..." + text.substr(text.size() - max);
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
        terminate(pid, SIGTERM, Millis(5000));
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
    std::vector<std::string> options = {"--port",
                                        std::to_string(port),
                                        "--bind",
                                        "127.0.0.1",
                                        "--dir",
                                        dir,
                                        "--cluster-enabled",
                                        "yes",
                                        "--cluster-config-file",
                                        dir + "/nodes.conf",
                                        "--cluster-port",
                                        std::to_string(bus_port),
                                        "--appendonly",
                                        "yes",
                                        "--save",
                                        "",
                                        "--daemonize",
                                        "no",
                                        "--logfile",
                                        "",
                                        "--cluster-require-full-coverage",
                                        "no"};
    pid_t pid = -1;
    ::testing::AssertionResult started =
        launch_redis_server(options, dir + "/redis.log", port, pid);
    pids_.push_back(pid);  // -1 when it never started or exited: nothing to stop then
    ports_.push_back(port);
    if (!started) started << " (cluster node on port " << port << ")\n" << logs();
    return started;
}

::testing::AssertionResult RedisClusterServers::create_cluster() {
    std::vector<std::string> args = {kRedisCli, "--cluster", "create"};
    for (int port : ports_) args.push_back("127.0.0.1:" + std::to_string(port));
    for (const char* a : {"--cluster-replicas", "0", "--cluster-yes"}) args.push_back(a);
    pid_t cli = spawn_logged(args, dir_.file("redis-cli.log"));
    if (cli < 0) return ::testing::AssertionFailure() << "cannot start redis-cli";
    std::optional<int> status = wait_pid(cli, Millis(20000));
    if (!status) {
        terminate(cli, SIGTERM, Millis(5000));
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
    return redis_command(port, args);
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
        terminate(pids_[i], SIGKILL, Millis(5000));
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
