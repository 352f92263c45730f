// CIDR matching with inet_pton, and the parsing of forwarding-header entries.
#include "auth/trusted_proxies.hpp"

#include <arpa/inet.h>
#include <strings.h>

#include <cstring>

namespace authd::auth {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Parses an address; IPv4-mapped IPv6 becomes IPv4 (so a dual-stack peer matches v4 nets).
bool parse_ip(std::string_view text, bool& v4, std::array<uint8_t, 16>& out) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
    char buf[INET6_ADDRSTRLEN];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    out.fill(0);
    if (inet_pton(AF_INET, buf, out.data()) == 1) {
        v4 = true;
        return true;
    }
    if (inet_pton(AF_INET6, buf, out.data()) != 1) return false;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    v4 = std::memcmp(out.data(), mapped, 12) == 0;
    if (v4) std::memmove(out.data(), out.data() + 12, 4);
    return true;
}

bool prefix_matches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b,
                    unsigned prefix) {
    unsigned full = prefix / 8, rest = prefix % 8;
    if (std::memcmp(a.data(), b.data(), full) != 0) return false;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

std::optional<TrustedProxies> TrustedProxies::parse(std::string_view list, std::string& error) {
    TrustedProxies out;
    while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view entry = trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (entry.empty()) continue;
        size_t slash = entry.find('/');
        Net net;
        if (!parse_ip(entry.substr(0, slash), net.v4, net.bytes)) {
            error = "AUTHD_TRUSTED_PROXIES: '" + std::string(entry) + "' is not an IP or CIDR";
            return std::nullopt;
        }
        unsigned max = net.v4 ? 32 : 128;
        net.prefix = max;
        if (slash != std::string_view::npos) {
            std::string_view bits = entry.substr(slash + 1);
            unsigned p = 0;
            bool ok = !bits.empty() && bits.size() <= 3;
            for (char c : bits) ok = ok && c >= '0' && c <= '9' && (p = p * 10 + (c - '0'), true);
            if (!ok || p > max) {
                error = "AUTHD_TRUSTED_PROXIES: bad prefix length in '" + std::string(entry) + "'";
                return std::nullopt;
            }
            net.prefix = p;
        }
        out.nets_.push_back(net);
    }
    return out;
}

bool TrustedProxies::contains(std::string_view address) const {
    bool v4 = false;
    std::array<uint8_t, 16> bytes;
    if (nets_.empty() || !parse_ip(address, v4, bytes)) return false;
    for (const Net& n : nets_) {
        if (n.v4 == v4 && prefix_matches(n.bytes, bytes, n.prefix)) return true;
    }
    return false;
}

std::string_view forwarded_address(std::string_view entry, ForwardedHeader kind) {
    entry = trim(entry);
    if (kind == ForwardedHeader::forwarded) {
        // for=...;proto=...;by=...: the for= parameter, case-insensitively.
        std::string_view value;
        while (!entry.empty()) {
            size_t semi = entry.find(';');
            std::string_view pair = trim(entry.substr(0, semi));
            entry = semi == std::string_view::npos ? std::string_view{} : entry.substr(semi + 1);
            if (pair.size() > 4 && strncasecmp(pair.data(), "for=", 4) == 0) value = pair.substr(4);
        }
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        entry = value;
    }
    if (!entry.empty() && entry.front() == '[') {  // [v6] or [v6]:port
        size_t close = entry.find(']');
        if (close == std::string_view::npos) return {};
        entry = entry.substr(1, close - 1);
    } else if (entry.find(':') != std::string_view::npos && entry.find(':') == entry.rfind(':')) {
        entry = entry.substr(0, entry.find(':'));  // v4:port
    }
    bool v4 = false;
    std::array<uint8_t, 16> bytes;
    return parse_ip(entry, v4, bytes) ? entry : std::string_view{};
}

}  // namespace authd::auth
