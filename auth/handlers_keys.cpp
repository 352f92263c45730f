// Handlers that publish and rotate the signing keys (issue 15): the JWKS (RFC 7517), the
// authorization-server metadata (RFC 8414) and POST /api/auth/keys/rotate/ (superuser).
#include "auth/handlers_keys.hpp"

#include <algorithm>

#include "auth/authenticate.hpp"
#include "auth/key_manager.hpp"
#include "auth/services.hpp"
#include "core/clock.hpp"
#include "http/json_writer.hpp"

namespace authd::auth {

using http::Response;

core::Task<Response> handle_jwks(http::Request& req) {
    const LoopContext& ctx = loop_context(req);
    Response r = http::json_response(200, ctx.keys->jwks_json());
    // Shorter than the overlap (a retired key verifies for the refresh lifetime), and short
    // enough that a verifier that missed a rotation refetches soon; verifiers also refetch on
    // an unknown kid.
    const int64_t max_age = std::clamp<int64_t>(ctx.services->settings.refresh_ttl / 4, 1, 300);
    r.header("Cache-Control", "public, max-age=" + std::to_string(max_age));
    co_return r;
}

core::Task<Response> handle_authorization_server_metadata(http::Request& req) {
    const Services& s = services(req);
    const std::string& base = s.settings.public_url;
    std::string body;
    http::JsonWriter w(body);
    w.begin_object();
    w.field("issuer", s.settings.issuer);
    w.field("jwks_uri", base + "/.well-known/jwks.json");
    w.field("token_endpoint", base + "/auth/token/");
    w.field("introspection_endpoint", base + "/oauth/introspect");
    w.field("revocation_endpoint", base + "/oauth/revoke");
    w.key("grant_types_supported");
    w.raw(R"(["password","refresh_token"])");
    w.key("response_types_supported");  // REQUIRED by RFC 8414; no authorization endpoint
    w.raw("[]");
    w.key("introspection_endpoint_auth_methods_supported");
    w.raw(R"(["client_secret_basic"])");
    w.key("revocation_endpoint_auth_methods_supported");
    w.raw(R"(["client_secret_basic"])");
    w.key("token_endpoint_auth_methods_supported");
    w.raw(R"(["none"])");
    w.end_object();
    Response r = http::json_response(200, std::move(body));
    r.header("Cache-Control", "public, max-age=300");
    co_return r;
}

core::Task<Response> handle_keys_rotate(http::Request& req) {
    OrResponse<Principal> me = authenticate(req);
    if (!me) co_return me.take_response();
    if (me->role != store::Role::super_user) co_return forbidden();
    Services& s = services(req);
    if (s.keys.set.alg != SigningAlg::eddsa) {
        co_return http::detail_response(
            409,
            "AUTHD_JWT_ALG is HS256: rotate by moving AUTHD_SECRET_KEY to "
            "AUTHD_SECRET_KEY_FALLBACKS and setting a new one.",
            "rotation_unavailable");
    }
    const int64_t now = core::wall_seconds();
    RingLoad next = co_await rotate_key_ring(*s.store, s.keys, now);
    if (next.status == KeysStatus::refused)
        co_return http::detail_response(409, next.error, "rotation_unavailable");
    if (next.status != KeysStatus::ok) co_return service_unavailable();
    std::shared_ptr<const KeySet> keys = make_key_set(s.keys, next.ring, now);
    const std::string kid(keys->active_kid());
    co_await spread_key_set(s, std::move(keys));
    std::string body;
    http::JsonWriter w(body);
    w.begin_object();
    w.field("detail", "Signing key rotated.");
    w.field("kid", kid);
    w.field("alg", "EdDSA");
    w.end_object();
    co_return http::json_response(200, std::move(body));
}

}  // namespace authd::auth
