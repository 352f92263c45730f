// Where a Redis store lives: the parsed `redis://[[user]:password@]host[:port][/db]` URL, the
// node it currently talks to (a Redis Cluster may redirect it), and the timeouts every
// connection of that store shares.
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace authd::store {

struct RedisUrl {
    std::string host;  // as written (a name, an IPv4 address or a bracket-less IPv6 address)
    int port = 6379;
    int db = 0;
    std::string username;  // empty: AUTH with the password alone (the "default" user)
    std::string password;  // empty: no AUTH
};

// nullopt with `error` set when the URL is malformed. Percent-escapes are decoded in the
// user and password.
std::optional<RedisUrl> parse_redis_url(std::string_view url, std::string& error);

// The URL without its password, for logs.
std::string redacted_redis_url(const RedisUrl& url);

// Resolves url.host once to a numeric address (connections must not block on DNS later).
bool resolve_redis_host(RedisUrl& url, std::string& error);

// One node: a numeric host (IPv4 or bracket-less IPv6) and a port.
struct RedisAddress {
    std::string host;
    int port = 0;
    bool operator==(const RedisAddress&) const = default;
};

// "host:port" ("[v6]:port"), for logs.
std::string format_redis_address(const RedisAddress& a);

// A Redis Cluster `MOVED <slot> <host>:<port>` error: the slot lives on another node. host is
// as sent (a name, an IPv4 or IPv6 address, bracketed or not), or empty when the node is
// configured with cluster-preferred-endpoint-type unknown-endpoint: then it is the host that
// answered.
struct RedisRedirect {
    int slot = 0;
    std::string host;
    int port = 0;
};

// nullopt unless `error` is a well-formed MOVED error (slot 0..16383, port 1..65535, a host
// of address or host-name characters). ASK is not followed: authd's one slot only moves when
// an operator reshards it, and then MOVED follows once the move completes.
std::optional<RedisRedirect> parse_moved(std::string_view error);

struct RedisEndpoint {
    // The configured "seed" node (host numeric, resolved). On a Redis Cluster it may be any
    // node: keyed commands sent to a node that does not own the store's slot answer MOVED,
    // and the connections then follow that redirect (target()).
    RedisUrl url;
    core::Millis command_timeout{2000};
    core::Millis backoff_min{100};
    core::Millis backoff_max{5000};
    // CLIENT SETNAME of every connection ("authd-<instance>"): CLIENT LIST then tells which
    // instances are alive (their connections close when they die). Empty: no name.
    std::string client_name;
    // Set when the store closes: connections to it are dropped once idle.
    mutable std::atomic<bool> closed{false};
    // Successful connects so far, by any connection of the store: one that is backing off
    // tries again at once when another got through (Redis is back), instead of waiting out
    // its own backoff.
    mutable std::atomic<uint64_t> connects{0};
    mutable std::atomic<uint64_t> timeouts{0};  // connections dropped for a late reply

    // Where connections go now: the node of the last MOVED, else the seed. Read at connect
    // time only (never per command), hence a plain mutex.
    RedisAddress target() const;
    RedisAddress seed() const { return {url.host, url.port}; }
    // Bumped whenever target() changes: an idle connection made for an older target
    // reconnects before its next command instead of collecting a MOVED first.
    uint64_t target_generation() const { return target_gen_.load(std::memory_order_acquire); }
    // Follows a MOVED: a host name is resolved (once, like the seed's); `answered_by` stands
    // in for an empty host. False (and logged) when the address is unusable. Logs when the
    // target changes, so N connections hearing the same MOVED log it once.
    bool redirect(const RedisRedirect& moved, const RedisAddress& answered_by) const;
    // A connection to `failed` could not be made: when that is the redirected target, go back
    // to the seed, which answers MOVED with the new owner after a failover.
    void forget_redirect(const RedisAddress& failed) const;

  private:
    mutable std::mutex target_mutex_;
    mutable std::optional<RedisAddress> redirected_;  // guarded by target_mutex_
    mutable std::atomic<uint64_t> target_gen_{0};
};

}  // namespace authd::store
