// The /api/auth/ permission matrix (API.md §5) as small pure functions of the actor's and
// the target's roles, so every handler and the unit tests share one definition.
#pragma once
#include <cstdint>

#include "store/types.hpp"

namespace authd::auth {

// Listing users, the pending list and a user's details: "agent" = AGENT or SUPER_USER.
bool can_view_users(store::Role actor);

// POST /api/auth/agents/create/: superusers only.
bool can_create_agent(store::Role actor);

// Validate, deactivate or reject: an AGENT acts on CLIENT users only, a SUPER_USER on
// anyone but a superuser; nobody acts on a superuser and a CLIENT on nobody.
bool can_manage(store::Role actor, store::Role target);

// can_manage plus the self rule: nobody validates, deactivates or rejects their own
// account (the role rules already forbid it; the id check keeps it so if they change).
bool can_manage_user(int64_t actor_id, store::Role actor, int64_t target_id, store::Role target);

}  // namespace authd::auth
