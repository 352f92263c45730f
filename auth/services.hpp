// Services: everything the handlers share, wired once by the executable (tools/), plus the
// per-loop context each request carries (req.context, typed: no casts). Handlers reach
// both through the Request.
#pragma once
#include <simdjson.h>

#include <memory>
#include <string>
#include <vector>

#include "auth/jwt.hpp"
#include "auth/key_manager.hpp"
#include "auth/legacy_tokens.hpp"
#include "auth/link_token.hpp"
#include "auth/password_hasher.hpp"
#include "auth/service_clients.hpp"
#include "auth/signature_cache.hpp"
#include "auth/token_keys.hpp"
#include "auth/trusted_proxies.hpp"
#include "auth/validation_cache.hpp"
#include "core/blocking_pool.hpp"
#include "core/loop_group.hpp"
#include "http/metrics.hpp"
#include "http/request.hpp"
#include "store/store.hpp"

namespace authd::http {
class Router;
}

namespace authd::auth {

class MailOutbox;

struct AuthSettings {
    int64_t access_ttl = 300;
    int64_t refresh_ttl = 86400;
    int64_t link_ttl = 259200;
    std::string public_url = "http://127.0.0.1:8000";
    std::string issuer;  // AUTHD_ISSUER (default: public_url): the iss claim and RFC 8414 issuer
    bool require_approval = false;
    uint32_t login_max_failures = 10;
    int64_t login_failure_window = 15 * 60;
    uint32_t ip_max_failures = 100;
    uint32_t reset_mails_per_hour = 5;  // password-reset mails per account per hour
    int64_t ip_failure_window = 60;
    size_t list_max = 10000;     // AUTHD_LIST_MAX: most list items without an explicit limit
    std::string forward_cookie;  // AUTHD_FORWARD_COOKIE: /auth/forward also reads this cookie
    // Peers allowed to name the client (AUTHD_TRUSTED_PROXIES), and the header they write.
    TrustedProxies trusted_proxies;
    ForwardedHeader forwarded_header = ForwardedHeader::x_forwarded_for;
};

struct Services {
    Services(AuthSettings s, std::string_view secret_key, HashParams hash_params)
        : settings(std::move(s)),
          hasher(hash_params),
          jwt(secret_key),
          links(secret_key, settings.link_ttl) {}

    AuthSettings settings;
    PasswordHasher hasher;
    JwtCodec jwt;      // HS256 of AUTHD_SECRET_KEY without a kid (tests, benchmarks)
    KeySettings keys;  // how LoopContext::keys are built; fixed after start
    LinkTokens links;
    ServiceClients service_clients;  // callers of /oauth/introspect and /oauth/revoke
    store::Store* store = nullptr;
    core::LoopGroup* loops = nullptr;
    core::BlockingPool* hash_pool = nullptr;
    MailOutbox* outbox = nullptr;
    http::Metrics* metrics = nullptr;
    const http::Router* router = nullptr;  // for /metrics
    std::unique_ptr<LegacyTokens> legacy;  // AUTHD_LEGACY_SIMPLEJWT_KEY set; built before the loops
    std::vector<std::unique_ptr<authd::LoopContext>> contexts;  // one per loop, by loop index
};

}  // namespace authd::auth

namespace authd {

// Per-loop state: owned and used by one loop thread only. http::Request::context points
// at the context of the loop that serves the request.
struct LoopContext {
    auth::Services* services = nullptr;
    int loop_index = 0;
    auth::ValidationCache cache;
    // The keys this loop signs and verifies with; replaced (on this loop) by spread_key_set.
    std::shared_ptr<const auth::KeySet> keys;
    auth::SignatureCache signatures;  // Ed25519 verifies already done on this loop
    auth::JwtScratch jwt_scratch;
    simdjson::dom::parser json;  // reused: no allocation per request once warm

    store::Store& store() const { return *services->store; }
};

}  // namespace authd

namespace authd::auth {

using authd::LoopContext;

inline LoopContext& loop_context(const http::Request& req) {
    return *req.context;
}
inline Services& services(const http::Request& req) {
    return *req.context->services;
}

}  // namespace authd::auth
