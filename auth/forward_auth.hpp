// Forward authentication (/auth/forward and every path below it): the answer nginx
// auth_request, Traefik ForwardAuth, Envoy ext_authz and Caddy forward_auth ask for.
#pragma once
#include <string_view>

#include "http/request.hpp"
#include "http/response.hpp"

namespace authd::auth {

// Synchronous, in memory like validate_token: 200 with the identity headers, 401 (no or bad
// token) or 403 (a required role not met). Never a 5xx, 202 or 204.
void handle_forward(http::Request& req, http::Response& res);

// Helpers, exposed for tests. Raw (undecoded) values; each call finds the i-th occurrence.
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);
bool next_query_value(std::string_view& query, std::string_view name, std::string_view& value);

}  // namespace authd::auth
