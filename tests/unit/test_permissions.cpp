// The /api/auth/ permission matrix, cell by cell (API.md §5).
#include <gtest/gtest.h>

#include "auth/permissions.hpp"

namespace authd::auth {
namespace {

using store::Role;

TEST(Permissions, ViewUsersNeedsAnAgent) {
    EXPECT_FALSE(can_view_users(Role::client));
    EXPECT_TRUE(can_view_users(Role::agent));
    EXPECT_TRUE(can_view_users(Role::super_user));
}

TEST(Permissions, CreateAgentNeedsASuperuser) {
    EXPECT_FALSE(can_create_agent(Role::client));
    EXPECT_FALSE(can_create_agent(Role::agent));
    EXPECT_TRUE(can_create_agent(Role::super_user));
}

TEST(Permissions, ManageMatrix) {
    struct Cell {
        Role actor, target;
        bool allowed;
    };
    const Cell cells[] = {
        {Role::client, Role::client, false},         {Role::client, Role::agent, false},
        {Role::client, Role::super_user, false},     {Role::agent, Role::client, true},
        {Role::agent, Role::agent, false},           {Role::agent, Role::super_user, false},
        {Role::super_user, Role::client, true},      {Role::super_user, Role::agent, true},
        {Role::super_user, Role::super_user, false},
    };
    for (const Cell& c : cells) {
        EXPECT_EQ(can_manage(c.actor, c.target), c.allowed)
            << "actor " << int(c.actor) << " target " << int(c.target);
        EXPECT_EQ(can_manage_user(1, c.actor, 2, c.target), c.allowed);
    }
}

TEST(Permissions, NobodyManagesThemself) {
    for (Role r : {Role::client, Role::agent, Role::super_user}) {
        EXPECT_FALSE(can_manage_user(7, r, 7, r));
    }
    // Even with roles that would allow it, the same id is refused.
    EXPECT_FALSE(can_manage_user(7, Role::super_user, 7, Role::client));
}

}  // namespace
}  // namespace authd::auth
