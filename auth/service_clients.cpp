// Service clients: parsing AUTHD_SERVICE_CLIENTS and HTTP Basic authentication against it.
#include "auth/service_clients.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sodium.h>

namespace authd::auth {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

std::array<unsigned char, 32> sha256(std::string_view s) {
    std::array<unsigned char, 32> d{};
    SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
    return d;
}

}  // namespace

std::optional<std::string> ServiceClients::add_spec(std::string_view spec) {
    while (!spec.empty()) {
        size_t end = spec.find_first_of(",\n");
        std::string_view entry = trim(spec.substr(0, end));
        spec = end == std::string_view::npos ? std::string_view{} : spec.substr(end + 1);
        if (entry.empty()) continue;
        size_t colon = entry.find(':');
        std::string_view id = colon == std::string_view::npos ? entry : entry.substr(0, colon);
        if (colon == std::string_view::npos || id.empty())
            return "AUTHD_SERVICE_CLIENTS entries must be id:secret";
        std::string_view secret = entry.substr(colon + 1);
        std::string name = "AUTHD_SERVICE_CLIENTS client '" + std::string(id) + "'";
        if (secret.size() < min_secret_size)
            return name + ": its secret must be at least 16 characters long";
        for (const Client& c : clients_) {
            if (c.id == id) return name + " is listed twice";
        }
        if (clients_.size() >= max_clients) return std::string("too many AUTHD_SERVICE_CLIENTS");
        clients_.push_back({std::string(id), sha256(secret)});
    }
    return std::nullopt;
}

std::optional<std::string_view> ServiceClients::authenticate(std::string_view authorization) const {
    if (clients_.empty() || authorization.size() < 6) return std::nullopt;
    std::string_view scheme = authorization.substr(0, 6);
    if (scheme != "Basic " && scheme != "basic ") return std::nullopt;
    std::string_view b64 = trim(authorization.substr(6));
    char decoded[1024];
    size_t len = 0;
    if (b64.empty() || b64.size() > 1360 ||
        sodium_base642bin(reinterpret_cast<unsigned char*>(decoded), sizeof decoded, b64.data(),
                          b64.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
        return std::nullopt;
    std::string_view pair(decoded, len);
    size_t colon = pair.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view id = pair.substr(0, colon);
    Digest presented = sha256(pair.substr(colon + 1));
    // Every client's digest is compared, so the time does not tell which ids exist.
    const Client* found = nullptr;
    for (const Client& c : clients_) {
        bool same = CRYPTO_memcmp(c.secret_digest.data(), presented.data(), presented.size()) == 0;
        if (same && c.id == id) found = &c;
    }
    sodium_memzero(decoded, sizeof decoded);
    if (!found) return std::nullopt;
    return std::string_view(found->id);
}

}  // namespace authd::auth
