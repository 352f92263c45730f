// The permission matrix of the /api/auth/ agent endpoints.
#include "auth/permissions.hpp"

namespace authd::auth {

using store::Role;

bool can_view_users(Role actor) {
    return actor == Role::agent || actor == Role::super_user;
}

bool can_create_agent(Role actor) {
    return actor == Role::super_user;
}

bool can_manage(Role actor, Role target) {
    if (target == Role::super_user) return false;
    switch (actor) {
        case Role::super_user:
            return true;
        case Role::agent:
            return target == Role::client;
        case Role::client:
            return false;
    }
    return false;
}

bool can_manage_user(int64_t actor_id, Role actor, int64_t target_id, Role target) {
    return actor_id != target_id && can_manage(actor, target);
}

}  // namespace authd::auth
