// Parsing and resolving `redis://` URLs, and following Redis Cluster MOVED redirects.
#include "store/redis_endpoint.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

#include "core/log.hpp"

namespace authd::store {
namespace {

bool parse_int(std::string_view s, int lo, int hi, int& out) {
    if (s.empty()) return false;
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return false;
    out = v;
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

// Address or host-name characters only: what a MOVED may name is bounded and printable, and
// nothing in it can be mistaken for a URL or an option by getaddrinfo.
bool plausible_host(std::string_view h) {
    if (h.size() > 253) return false;
    for (char c : h) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == ':' || c == '_';
        if (!ok) return false;
    }
    return h.empty() || (h.front() != '-' && h.front() != '.');
}

bool numeric_host(const std::string& h) {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

}  // namespace

std::optional<RedisRedirect> parse_moved(std::string_view error) {
    constexpr std::string_view prefix = "MOVED ";
    if (!error.starts_with(prefix)) return std::nullopt;
    std::string_view rest = error.substr(prefix.size());
    size_t space = rest.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    RedisRedirect out;
    if (!parse_int(rest.substr(0, space), 0, 16383, out.slot)) return std::nullopt;
    std::string_view endpoint = rest.substr(space + 1);
    std::string_view host, port;
    if (endpoint.starts_with('[')) {  // [v6]:port
        size_t close = endpoint.find(']');
        if (close == std::string_view::npos || endpoint.substr(close + 1, 1) != ":")
            return std::nullopt;
        host = endpoint.substr(1, close - 1);
        port = endpoint.substr(close + 2);
        if (host.empty()) return std::nullopt;
    } else {  // Redis writes IPv6 without brackets: the port follows the last ':'
        size_t colon = endpoint.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = endpoint.substr(0, colon);
        port = endpoint.substr(colon + 1);
    }
    if (!plausible_host(host) || !parse_int(port, 1, 65535, out.port)) return std::nullopt;
    out.host = std::string(host);
    return out;
}

std::string format_redis_address(const RedisAddress& a) {
    bool v6 = a.host.find(':') != std::string::npos;
    return (v6 ? "[" + a.host + "]" : a.host) + ":" + std::to_string(a.port);
}

RedisAddress RedisEndpoint::target() const {
    std::lock_guard lock(target_mutex_);
    return redirected_ ? *redirected_ : seed();
}

bool RedisEndpoint::redirect(const RedisRedirect& moved, const RedisAddress& answered_by) const {
    RedisUrl where;
    where.host = moved.host.empty() ? answered_by.host : moved.host;
    where.port = moved.port;
    std::string error;
    // A name (cluster-preferred-endpoint-type hostname) is resolved once here, so that
    // connects never wait on DNS; redirects are rare (start-up, failover, resharding).
    if (!numeric_host(where.host) && !resolve_redis_host(where, error)) {
        core::log_warn("redis", "ignoring a Redis Cluster redirect to an unusable address",
                       {{"error", error}});
        return false;
    }
    RedisAddress next{where.host, where.port};
    RedisAddress before;
    {
        std::lock_guard lock(target_mutex_);
        before = redirected_ ? *redirected_ : seed();
        if (before == next) return true;  // another connection followed it already
        if (next == seed()) {
            redirected_.reset();
        } else {
            redirected_ = next;
        }
        target_gen_.fetch_add(1, std::memory_order_acq_rel);
    }
    core::log_info("redis", "Redis Cluster moved authd's slot: following the redirect",
                   {{"slot", std::to_string(moved.slot)},
                    {"from", format_redis_address(before)},
                    {"to", format_redis_address(next)}});
    return true;
}

void RedisEndpoint::forget_redirect(const RedisAddress& failed) const {
    {
        std::lock_guard lock(target_mutex_);
        if (!redirected_ || *redirected_ != failed) return;  // not (or no longer) the target
        redirected_.reset();
        target_gen_.fetch_add(1, std::memory_order_acq_rel);
    }
    core::log_warn(
        "redis",
        "cannot reach the Redis Cluster node authd was redirected to; asking the "
        "configured node again",
        {{"unreachable", format_redis_address(failed)}, {"seed", format_redis_address(seed())}});
}

std::optional<RedisUrl> parse_redis_url(std::string_view url, std::string& error) {
    constexpr std::string_view scheme = "redis://";
    if (!url.starts_with(scheme)) {
        error =
            "a Redis store URL starts with redis:// (got '" + std::string(url.substr(0, 16)) + "')";
        return std::nullopt;
    }
    std::string_view rest = url.substr(scheme.size());
    RedisUrl out;
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        std::string_view db = rest.substr(slash + 1);
        if (!db.empty() && !parse_int(db, 0, 1 << 20, out.db)) {
            error =
                "invalid Redis database number '" + std::string(db) + "' (redis://host:port/db)";
            return std::nullopt;
        }
    }
    size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        size_t colon = userinfo.find(':');
        auto user = percent_decode(userinfo.substr(0, colon));
        auto pass =
            percent_decode(colon == std::string_view::npos ? "" : userinfo.substr(colon + 1));
        if (!user || !pass) {
            error = "invalid percent-escape in the Redis URL's credentials";
            return std::nullopt;
        }
        if (colon == std::string_view::npos) {
            out.password = std::move(*user);  // redis://secret@host: the password alone
        } else {
            out.username = std::move(*user);
            out.password = std::move(*pass);
        }
    }
    std::string_view host = authority, port;
    if (authority.starts_with('[')) {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            error = "unclosed '[' in the Redis URL's host";
            return std::nullopt;
        }
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') {
                error = "unexpected text after the Redis URL's host";
                return std::nullopt;
            }
            port = after.substr(1);
        }
    } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) {
        error = "the Redis URL has no host (redis://host:port[/db])";
        return std::nullopt;
    }
    if (!port.empty() && !parse_int(port, 1, 65535, out.port)) {
        error = "invalid Redis port '" + std::string(port) + "'";
        return std::nullopt;
    }
    out.host = std::string(host);
    return out;
}

std::string redacted_redis_url(const RedisUrl& url) {
    std::string s = "redis://";
    if (!url.password.empty()) s += url.username + ":***@";
    s += url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    s += ":" + std::to_string(url.port) + "/" + std::to_string(url.db);
    return s;
}

bool resolve_redis_host(RedisUrl& url, std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(url.host.c_str(), nullptr, &hints, &res);
    if (rc != 0 || !res) {
        error = "cannot resolve Redis host '" + url.host + "': " + gai_strerror(rc);
        return false;
    }
    char buf[INET6_ADDRSTRLEN] = {};
    const void* addr =
        res->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr);
    bool ok = inet_ntop(res->ai_family, addr, buf, sizeof buf) != nullptr;
    freeaddrinfo(res);
    if (!ok) {
        error = "cannot format the address of Redis host '" + url.host + "'";
        return false;
    }
    url.host = buf;
    return true;
}

}  // namespace authd::store
