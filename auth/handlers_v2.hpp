// Handlers of the /api/auth/ surface (auth-v2-api.md, API.md §5). Login, refresh and
// validate-token are shared with /auth/ (handlers_v1.hpp).
#pragma once
#include "core/task.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace authd::auth {

core::Task<http::Response> handle_register(http::Request& req);
core::Task<http::Response> handle_logout(http::Request& req);
core::Task<http::Response> handle_password_change(http::Request& req);
core::Task<http::Response> handle_profile_get(http::Request& req);
core::Task<http::Response> handle_profile_patch(http::Request& req);
core::Task<http::Response> handle_users_list(http::Request& req);
core::Task<http::Response> handle_users_pending(http::Request& req);
core::Task<http::Response> handle_user_detail(http::Request& req);
core::Task<http::Response> handle_user_validate(http::Request& req);
core::Task<http::Response> handle_user_reject(http::Request& req);
core::Task<http::Response> handle_agent_create(http::Request& req);

}  // namespace authd::auth
