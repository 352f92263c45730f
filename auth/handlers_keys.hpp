// Handlers of the signing keys: GET /.well-known/jwks.json, GET
// /.well-known/oauth-authorization-server, POST /api/auth/keys/rotate/.
#pragma once
#include "core/task.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace authd::auth {

core::Task<http::Response> handle_jwks(http::Request& req);
core::Task<http::Response> handle_authorization_server_metadata(http::Request& req);
core::Task<http::Response> handle_keys_rotate(http::Request& req);

}  // namespace authd::auth
