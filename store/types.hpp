// The records the store keeps: users, login sessions, audit entries, outbound mail and
// the state every loop needs in memory to validate tokens.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace authd::store {

enum class Role : uint8_t { client = 0, agent = 1, super_user = 2 };

// Times are microseconds since the Unix epoch; 0 means "never" where noted.
struct User {
    int64_t id = 0;        // > 0, assigned in increasing order, never reused
    std::string username;  // unique case-insensitively
    std::string email;     // unique case-insensitively; domain stored lower-cased
    std::string first_name, last_name, phone_number, address;
    Role role = Role::client;
    bool is_active = false;
    bool email_verified = false;
    std::string password_hash;  // Argon2id PHC string
    int64_t last_login_us = 0;  // 0: never logged in
    int64_t created_at_us = 0;
    int64_t updated_at_us = 0;
    uint32_t token_version = 0;  // bumped to revoke every token of the user
};

// A change to a user; unset fields stay as they are. updated_at is set by the store.
struct UserPatch {
    std::optional<std::string> email, first_name, last_name, phone_number, address, password_hash;
    std::optional<Role> role;
    std::optional<bool> is_active, email_verified;
    std::optional<int64_t> last_login_us;
    bool bump_token_version = false;
    // Precondition: update only if the stored password hash is still this one (so that a
    // reset link, bound to the hash it replaces, works once even when used twice at once).
    std::optional<std::string> if_password_hash;
    // Precondition: update only if the token version is still this one (a verification link
    // must not activate a user an agent deactivated meanwhile, which bumps it).
    std::optional<uint32_t> if_token_version;
};

// Whether the patch changes anything besides last_login (which alone leaves updated_at, as
// Django's update_last_login does).
inline bool patch_changes_more_than_login(const UserPatch& p) {
    return p.email || p.first_name || p.last_name || p.phone_number || p.address ||
           p.password_hash || p.role || p.is_active || p.email_verified || p.bump_token_version;
}

// delete_user's condition, checked atomically with the delete.
enum class DeleteIf : uint8_t { always, pending };

struct CreateUserResult {
    std::optional<User> user;  // set when ok
    bool username_taken = false;
    bool email_taken = false;
};

struct UserQuery {
    std::optional<Role> role;
    std::optional<bool> is_active;
    std::string search;  // case-insensitive substring of username, email, first or last name
    size_t limit = 100;
    size_t offset = 0;
};

struct UserPage {
    std::vector<User> items;  // ordered by id
    size_t total = 0;         // matches before limit/offset
};

// A login session: the access and refresh tokens of one login share its sid.
struct Session {
    std::string sid;
    int64_t user_id = 0;
    std::string refresh_jti;  // the only refresh token of this session that may be used
    int64_t expires_at = 0;   // seconds; when the last refresh token of the session expires
    bool revoked = false;
};

enum class RotateStatus : uint8_t {
    rotated,  // presented jti was current; new jti stored
    reused,   // presented jti was an older one: the session is now revoked
    revoked,  // session already revoked
    unknown,  // no such session (or expired)
};

struct RotateResult {
    RotateStatus status = RotateStatus::unknown;
    int64_t user_id = 0;
    int64_t expires_at = 0;  // the session's expiry (for the revoked-set entry on reuse)
};

struct RevokeResult {
    bool existed = false;
    int64_t user_id = 0;
    int64_t expires_at = 0;
};

struct LoginFailures {
    uint32_t count = 0;       // failures in the current window
    int64_t retry_after = 0;  // seconds until the window ends (0 when no window)
};

struct AuditRecord {
    int64_t at_us = 0;
    int64_t actor_id = 0;
    int64_t target_id = 0;
    std::string action;  // "validate", "deactivate", "reject", "create_agent", "role_change", ...
    std::string reason;
};

struct OutboxMail {
    int64_t id = 0;  // assigned by the store
    std::string to;
    std::string subject;
    std::string text_body;
    std::string html_body;  // may be empty
    uint32_t attempts = 0;
    int64_t next_attempt_us = 0;
};

// What every loop keeps in memory to validate tokens without touching the store.
struct ValidationState {
    std::vector<std::pair<int64_t, uint32_t>> token_versions;       // user id -> version
    std::vector<std::pair<std::string, int64_t>> revoked_sessions;  // sid -> expires_at (s)
};

}  // namespace authd::store
