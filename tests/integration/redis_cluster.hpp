// RedisClusterServers: a real three-master Redis Cluster on loopback for integration tests
// (redis-server --cluster-enabled yes, formed with redis-cli --cluster create), looked at and
// rearranged through the harness's blocking redis_command(). Processes are started, awaited and
// stopped by the harness's helpers; every wait is bounded and the destructor stops every
// process it started, by PID.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/harness.hpp"

namespace authd::test {

// True when /usr/bin/redis-server and /usr/bin/redis-cli are there (else tests skip).
bool redis_cluster_tools_available();

class RedisClusterServers {
  public:
    RedisClusterServers();
    ~RedisClusterServers();  // SIGTERM, then SIGKILL after 5 s, and reap, every node
    RedisClusterServers(const RedisClusterServers&) = delete;
    RedisClusterServers& operator=(const RedisClusterServers&) = delete;

    // Starts `nodes` masters on free loopback ports, forms the cluster (no replicas) and waits
    // until every node reports cluster_state:ok. Bounded (about 30 s at worst).
    ::testing::AssertionResult start(size_t nodes = 3);

    const std::vector<int>& ports() const { return ports_; }
    static std::string url(int port) { return "redis://127.0.0.1:" + std::to_string(port); }

    // One command on the node at `port`, reply as text: redis_command().
    static std::optional<std::string> command(int port, const std::vector<std::string>& args);

    // CLUSTER KEYSLOT key, -1 on failure.
    int slot_of(std::string_view key) const;
    // The port of the node owning `slot` in the view of the node at `asked` (0: none known).
    int owner_of(int slot, int asked) const;
    // The same, asked of the first node.
    int owner_of(int slot) const { return ports_.empty() ? 0 : owner_of(slot, ports_[0]); }
    std::string node_id(int port) const;  // CLUSTER MYID

    // Moves `slot` with its keys from the node at `from` to the node at `to` (IMPORTING /
    // MIGRATING, MIGRATE of every key, SETSLOT NODE on every node), then waits until every
    // node names `to` as the owner. False with `error` set on failure.
    bool move_slot(int slot, int from, int to, std::string& error);

    // SIGKILLs (and reaps) the node at `port`, as a crash would. The other nodes keep serving
    // their slots: nodes run with cluster-require-full-coverage no.
    void kill_node(int port);

    std::string logs() const;  // tail of every node's log and of redis-cli's output

  private:
    ::testing::AssertionResult start_node(int port, int bus_port);
    ::testing::AssertionResult create_cluster();
    ::testing::AssertionResult wait_cluster_ok();
    void stop_all();

    TempDir dir_;
    std::vector<int> ports_;
    std::vector<pid_t> pids_;
};

}  // namespace authd::test
