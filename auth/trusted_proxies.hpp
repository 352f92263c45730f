// TrustedProxies: the networks (AUTHD_TRUSTED_PROXIES, CIDRs, IPv4 and IPv6) whose requests
// may say who the client is, and the reading of X-Forwarded-For / RFC 7239 Forwarded chains.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authd::auth {

enum class ForwardedHeader : uint8_t { x_forwarded_for, forwarded };

class TrustedProxies {
  public:
    // "10.0.0.0/8, 2001:db8::/32, 127.0.0.1" (a bare address is a /32 or /128). nullopt with
    // `error` naming the bad entry.
    static std::optional<TrustedProxies> parse(std::string_view list, std::string& error);

    bool empty() const { return nets_.empty(); }
    // Whether `address` (textual IPv4 or IPv6; IPv4-mapped IPv6 counts as IPv4) is inside.
    bool contains(std::string_view address) const;

  private:
    struct Net {
        bool v4 = false;
        std::array<uint8_t, 16> bytes{};
        unsigned prefix = 0;
    };
    std::vector<Net> nets_;
};

// The address a client entry of a forwarding header names: `for=` values unquoted, "[v6]:port"
// and "v4:port" without the port. Empty when it is not an IP address (e.g. "unknown").
std::string_view forwarded_address(std::string_view entry, ForwardedHeader kind);

}  // namespace authd::auth
