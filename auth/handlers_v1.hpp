// Handlers of the /auth/ surface (auth-v1-endpoints.txt, API.md §4).
#pragma once
#include "core/task.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace authd::auth {

core::Task<http::Response> handle_signup(http::Request& req);
core::Task<http::Response> handle_token(http::Request& req);     // {"access", "refresh"}
core::Task<http::Response> handle_login_v2(http::Request& req);  // {"token", "refresh"}
core::Task<http::Response> handle_token_refresh(http::Request& req);
void handle_validate_token(http::Request& req, http::Response& res);  // the hot path, synchronous
core::Task<http::Response> handle_verify_email(http::Request& req);
core::Task<http::Response> handle_reset_password(http::Request& req);
core::Task<http::Response> handle_reset_confirm_get(http::Request& req);
core::Task<http::Response> handle_reset_confirm_post(http::Request& req);

}  // namespace authd::auth
