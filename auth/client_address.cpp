// The client address of a request: the TCP peer, or — only when that peer is a trusted
// proxy — the rightmost entry of the forwarding chain that is not itself a trusted proxy.
#include "auth/client_address.hpp"

#include "auth/services.hpp"

namespace authd::auth {
namespace {

// Walks `header`'s entries right to left (the last header line first): the first one that
// is not a trusted proxy. An entry that is no address ends the walk at the hop before it (a
// proxy we trust wrote what follows it, so that hop is the best we know).
std::string_view rightmost_untrusted(const http::Request& req, const TrustedProxies& proxies,
                                     ForwardedHeader kind, std::string_view peer) {
    std::string_view name = kind == ForwardedHeader::forwarded ? "forwarded" : "x-forwarded-for";
    std::string_view found = peer;
    bool done = false;
    req.for_each_header_reversed(name, [&](std::string_view value) {
        while (!done && !value.empty()) {
            size_t comma = value.rfind(',');
            std::string_view entry =
                comma == std::string_view::npos ? value : value.substr(comma + 1);
            value = comma == std::string_view::npos ? std::string_view{} : value.substr(0, comma);
            std::string_view address = forwarded_address(entry, kind);
            if (address.empty()) {
                done = true;
                return;
            }
            found = address;
            if (!proxies.contains(address)) done = true;
        }
    });
    return found;
}

}  // namespace

std::string_view client_address(const http::Request& req) {
    std::string_view peer = req.peer_address();
    if (!req.context) return peer;
    const AuthSettings& s = req.context->services->settings;
    if (s.trusted_proxies.empty() || !s.trusted_proxies.contains(peer)) return peer;
    return rightmost_untrusted(req, s.trusted_proxies, s.forwarded_header, peer);
}

}  // namespace authd::auth
