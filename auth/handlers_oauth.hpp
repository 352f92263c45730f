// RFC 7662 token introspection and RFC 7009 token revocation, for the service clients of
// AUTHD_SERVICE_CLIENTS (HTTP Basic).
#pragma once
#include "core/task.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace authd::auth {

core::Task<http::Response> handle_introspect(http::Request& req);  // POST /oauth/introspect
core::Task<http::Response> handle_revoke(http::Request& req);      // POST /oauth/revoke

}  // namespace authd::auth
