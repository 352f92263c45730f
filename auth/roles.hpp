// Role names as the API spells them, and the role order CLIENT < AGENT < SUPER_USER.
#pragma once
#include <optional>
#include <string_view>

#include "store/types.hpp"

namespace authd::auth {

using store::Role;

inline std::string_view role_name(Role r) {
    switch (r) {
        case Role::client:
            return "CLIENT";
        case Role::agent:
            return "AGENT";
        case Role::super_user:
            return "SUPER_USER";
    }
    return "CLIENT";
}

inline std::string_view role_display(Role r) {
    switch (r) {
        case Role::client:
            return "Client";
        case Role::agent:
            return "Agent";
        case Role::super_user:
            return "Super User";
    }
    return "Client";
}

inline std::optional<Role> parse_role(std::string_view s) {
    if (s == "CLIENT") return Role::client;
    if (s == "AGENT") return Role::agent;
    if (s == "SUPER_USER") return Role::super_user;
    return std::nullopt;
}

// "agent" in API.md: AGENT or SUPER_USER.
inline bool is_agent(Role r) {
    return r == Role::agent || r == Role::super_user;
}

}  // namespace authd::auth
