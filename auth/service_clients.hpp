// Service clients (AUTHD_SERVICE_CLIENTS): the callers allowed to use /oauth/introspect and
// /oauth/revoke, authenticated with HTTP Basic. Secrets are kept only as SHA-256 digests.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authd::auth {

class ServiceClients {
  public:
    static constexpr size_t min_secret_size = 16;
    static constexpr size_t max_clients = 1000;

    // Adds "id:secret,id2:secret2" (commas or newlines between entries, blanks around them
    // ignored). Returns an error naming the bad entry's id — never its secret.
    std::optional<std::string> add_spec(std::string_view spec);
    bool empty() const { return clients_.empty(); }
    size_t size() const { return clients_.size(); }

    // The client id when `authorization` is "Basic base64(id:secret)" of a known client.
    // The secret is compared in constant time, and an unknown id costs the same work.
    std::optional<std::string_view> authenticate(std::string_view authorization) const;

  private:
    using Digest = std::array<unsigned char, 32>;
    struct Client {
        std::string id;
        Digest secret_digest;
    };
    std::vector<Client> clients_;
};

}  // namespace authd::auth
