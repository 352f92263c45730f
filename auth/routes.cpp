// Route table: every path of API.md §4 and §5, and the proxy / OAuth service endpoints.
#include "auth/routes.hpp"

#include "auth/forward_auth.hpp"
#include "auth/handlers_keys.hpp"
#include "auth/handlers_oauth.hpp"
#include "auth/handlers_v1.hpp"
#include "auth/handlers_v2.hpp"

namespace authd::auth {

void register_routes(http::Router& r) {
    using http::Method;
    // /auth/ (auth-v1-endpoints.txt)
    r.add(Method::post, "/auth/signup/", handle_signup);
    r.add(Method::post, "/auth/token/", handle_token);
    r.add(Method::post, "/auth/token/refresh/", handle_token_refresh);
    r.add(Method::get, "/auth/verify-email/<str:uidb64>/<str:token>/", handle_verify_email);
    r.add(Method::post, "/auth/reset_password/", handle_reset_password);
    r.add(Method::get, "/auth/password_reset_confirm/<str:uidb64>/<str:token>/",
          handle_reset_confirm_get);
    r.add(Method::post, "/auth/password_reset_confirm/<str:uidb64>/<str:token>/",
          handle_reset_confirm_post);
    r.add(Method::post, "/auth/validate_token/", handle_validate_token);
    // /api/auth/ (auth-v2-api.md)
    r.add(Method::post, "/api/auth/register/", handle_register);
    r.add(Method::post, "/api/auth/login/", handle_login_v2);
    r.add(Method::post, "/api/auth/token/refresh/", handle_token_refresh);
    r.add(Method::post, "/api/auth/logout/", handle_logout);
    r.add(Method::post, "/api/auth/password/reset/", handle_password_change);
    r.add(Method::get, "/api/auth/profile/", handle_profile_get);
    r.add(Method::patch, "/api/auth/profile/", handle_profile_patch);
    r.add(Method::get, "/api/auth/users/", handle_users_list);
    r.add(Method::get, "/api/auth/users/pending/", handle_users_pending);
    r.add(Method::get, "/api/auth/users/<int:id>/", handle_user_detail);
    r.add(Method::post, "/api/auth/users/<int:id>/validate/", handle_user_validate);
    r.add(Method::del, "/api/auth/users/<int:id>/reject/", handle_user_reject);
    r.add(Method::post, "/api/auth/agents/create/", handle_agent_create);
    r.add(Method::post, "/api/auth/users/validate-token/", handle_validate_token);
    // Forward auth: any method (HEAD through GET, so it has no body), any path below it.
    for (Method m : {Method::get, Method::post, Method::put, Method::patch, Method::del,
                     Method::options, Method::other}) {
        r.add(m, "/auth/forward/", handle_forward);
        r.add(m, "/auth/forward/<path:rest>/", handle_forward);
    }
    r.add(Method::post, "/oauth/introspect/", handle_introspect);
    r.add(Method::post, "/oauth/revoke/", handle_revoke);
    // Signing keys (issue 15)
    r.add(Method::get, "/.well-known/jwks.json", handle_jwks);
    r.add(Method::get, "/.well-known/oauth-authorization-server",
          handle_authorization_server_metadata);
    r.add(Method::post, "/api/auth/keys/rotate/", handle_keys_rotate);
}

}  // namespace authd::auth
