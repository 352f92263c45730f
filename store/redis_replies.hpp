// The Redis store's reply decoders: each turns a non-null, non-error reply of one command or
// script into the Result the Store method answers (internal to store/redis_store*.cpp).
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <string>
#include <vector>

#include "store/redis_search_cache.hpp"
#include "store/result.hpp"
#include "store/types.hpp"

namespace authd::store {

struct CreateReply {
    int64_t id = 0;
    bool username_taken = false, email_taken = false;
    bool id_taken = false;  // a reserved id another writer (an import) used meanwhile
};

struct FailureWindow {
    int64_t count = 0;
    int64_t ends_us = 0;
    bool reserved = false;
};

Result<User> decode_user_reply(const redisReply* r);
Result<User> decode_updated_user(const redisReply* r);
Done decode_done(const redisReply* r);
Done decode_refusable(const redisReply* r);
Result<int64_t> decode_int(const redisReply* r);
Result<size_t> decode_size(const redisReply* r);
Done decode_any(const redisReply*);
Result<CreateReply> decode_create(const redisReply* r);
Result<RotateResult> decode_rotate(const redisReply* r);
Result<Session> decode_session_reply(const redisReply* r);
Result<RevokeResult> decode_revoke(const redisReply* r);
Result<FailureWindow> decode_failures(const redisReply* r);
LoginFailures failures_at(const FailureWindow& w, int64_t now);
Result<UserPage> decode_page(const redisReply* r);
Result<std::vector<User>> decode_users(const redisReply* r);
Result<std::vector<AuditRecord>> decode_audits(const redisReply* r);
Result<std::vector<OutboxMail>> decode_mails(const redisReply* r);
Result<ValidationState> decode_state(const redisReply* r);
Result<std::string> decode_epoch(const redisReply* r);
Result<RedisTextSync> decode_sync(const redisReply* r);

}  // namespace authd::store
