// Where a Redis store lives: the parsed `redis://[[user]:password@]host[:port][/db]` URL and
// the timeouts every connection of that store shares.
#pragma once
#include <atomic>
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

struct RedisEndpoint {
    RedisUrl url;  // host numeric (resolved)
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
};

}  // namespace authd::store
