// How the Redis backend writes its records: a User and an outbox mail as Redis hashes, an
// audit record as one list element, the folded search text, and readers for hiredis replies.
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/redis_connection.hpp"
#include "store/types.hpp"

namespace authd::store {

// Reply readers: integers arrive as integers or as bulk strings (from Lua); both are read.
bool reply_int(const redisReply* r, int64_t& out);
int64_t reply_int_or(const redisReply* r, int64_t fallback);
std::string_view reply_view(const redisReply* r);                // "" unless a string/status/error
const redisReply* reply_element(const redisReply* r, size_t i);  // nullptr when absent

// The user's stored fields as field/value pairs (everything but id, created_at, updated_at
// and the folded keys, which the create script sets).
void append_user_fields(RedisArgs& args, const User& user);
// HGETALL of a user: nullopt when empty or malformed.
std::optional<User> decode_user(const redisReply* hash);

// HMGET session user_id jti expires_at revoked: nullopt when absent (sid left empty).
std::optional<Session> decode_session(const redisReply* hmget);

// HGETALL of an outbox mail.
std::optional<OutboxMail> decode_mail(const redisReply* hash);

// One audit record as a single binary-safe string, and back.
std::string encode_audit(const AuditRecord& record);
std::optional<AuditRecord> decode_audit(std::string_view bytes);

// Search text of one field: case-folded (as the embedded store), control characters mapped
// to \x01 so that they never look like the blob's separators.
std::string search_field(std::string_view text);
// The record text of a user: username \0 email \0 first \0 last, each through search_field.
std::string search_text(const User& user);
// The folded needle, or nullopt when it holds a control character (it can then match no
// record: a needle with \0 never matches across fields in the embedded store either).
std::optional<std::string> search_needle(std::string_view query);

// The instance names ("authd-<instance>" → "<instance>") in a CLIENT LIST answer.
std::vector<std::string> instances_in_client_list(std::string_view client_list);

// The decimal digit the scripts use for a role / a flag.
inline std::string role_digit(Role r) {
    return std::to_string(static_cast<int>(r));
}
inline std::string bool_digit(bool b) {
    return b ? "1" : "0";
}

}  // namespace authd::store
