// Registration shared by POST /auth/signup/, /api/auth/register/ and /api/auth/agents/create/:
// DRF-style validation of every field, the role rules, Argon2id hashing on the pool, an
// atomic create with the verification mail queued in the same durable write.
#pragma once
#include <optional>

#include "auth/authenticate.hpp"
#include "auth/services.hpp"
#include "core/task.hpp"
#include "http/body_fields.hpp"
#include "http/response.hpp"

namespace authd::auth {

enum class RegistrationKind {
    signup,        // /auth/signup/: username, email, password
    register_v2,   // /api/auth/register/: the seed's full field set, confirm_password, role
    create_agent,  // /api/auth/agents/create/: as register, role forced to AGENT, active at once
};

core::Task<http::Response> register_user(Services& s, const http::BodyFields& fields,
                                         RegistrationKind kind, std::optional<Principal> caller);

}  // namespace authd::auth
