// The Redis store's reply decoders (see redis_replies.hpp).
#include "store/redis_replies.hpp"

#include <algorithm>

#include "store/redis_codec.hpp"

namespace authd::store {

Result<User> decode_user_reply(const redisReply* r) {
    std::optional<User> u = decode_user(r);
    if (!u) return Answer::not_found;
    return std::move(*u);
}
// update_user: the user's hash, 0 (no such user) or 1 (a precondition did not hold).
Result<User> decode_updated_user(const redisReply* r) {
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer == 0 ? Answer::not_found : Answer::refused;
    return decode_user_reply(r);
}
// 1: done, 0: no such thing, 2: refused.
Done decode_done(const redisReply* r) {
    switch (reply_int_or(r, 0)) {
        case 1:
            return {};
        case 2:
            return Answer::refused;
        default:
            return Answer::not_found;
    }
}
Done decode_refusable(const redisReply* r) {
    return reply_int_or(r, 0) == 1 ? Done{} : Done{Answer::refused};
}
Result<int64_t> decode_int(const redisReply* r) {
    return reply_int_or(r, 0);
}
Result<size_t> decode_size(const redisReply* r) {
    return static_cast<size_t>(std::max<int64_t>(reply_int_or(r, 0), 0));
}
Done decode_any(const redisReply*) {
    return {};
}

Result<CreateReply> decode_create(const redisReply* r) {
    if (reply_element(r, 2) == nullptr) return Answer::unavailable;  // not the script's shape
    CreateReply c;
    c.id = reply_int_or(reply_element(r, 0), 0);
    c.username_taken = reply_int_or(reply_element(r, 1), 0) == 1;
    c.email_taken = reply_int_or(reply_element(r, 2), 0) == 1;
    c.id_taken = reply_int_or(reply_element(r, 4), 0) == 1;
    return c;
}

Result<RotateResult> decode_rotate(const redisReply* r) {
    RotateResult out;
    switch (reply_int_or(reply_element(r, 0), 3)) {
        case 0:
            out.status = RotateStatus::rotated;
            break;
        case 1:
            out.status = RotateStatus::reused;
            break;
        case 2:
            out.status = RotateStatus::revoked;
            break;
        default:
            return Answer::not_found;
    }
    out.user_id = reply_int_or(reply_element(r, 1), 0);
    out.expires_at = reply_int_or(reply_element(r, 2), 0);
    return out;
}

Result<Session> decode_session_reply(const redisReply* r) {
    std::optional<Session> s = decode_session(r);
    if (!s) return Answer::not_found;
    return std::move(*s);
}

Result<RevokeResult> decode_revoke(const redisReply* r) {
    RevokeResult out;
    out.existed = reply_int_or(reply_element(r, 0), 0) == 1;
    if (!out.existed) return Answer::not_found;
    out.user_id = reply_int_or(reply_element(r, 1), 0);
    out.expires_at = reply_int_or(reply_element(r, 2), 0);
    return out;
}

Result<FailureWindow> decode_failures(const redisReply* r) {
    return FailureWindow{reply_int_or(reply_element(r, 0), 0), reply_int_or(reply_element(r, 1), 0),
                         reply_int_or(reply_element(r, 2), 0) == 1};
}
LoginFailures failures_at(const FailureWindow& w, int64_t now) {
    if (w.count <= 0 || w.ends_us <= now) return LoginFailures{};
    return LoginFailures{static_cast<uint32_t>(w.count),
                         std::max<int64_t>((w.ends_us - now + 999999) / 1000000, 0)};
}

Result<UserPage> decode_page(const redisReply* r) {
    UserPage page;
    page.total = static_cast<size_t>(std::max<int64_t>(reply_int_or(reply_element(r, 0), 0), 0));
    for (size_t i = 1; reply_element(r, i); ++i) {
        if (auto u = decode_user(reply_element(r, i))) page.items.push_back(std::move(*u));
    }
    return page;
}

Result<std::vector<User>> decode_users(const redisReply* r) {
    std::vector<User> out;
    for (size_t i = 0; reply_element(r, i); ++i) {
        if (auto u = decode_user(reply_element(r, i)))
            out.push_back(std::move(*u));  // {}: deleted meanwhile
    }
    return out;
}

Result<std::vector<AuditRecord>> decode_audits(const redisReply* r) {
    std::vector<AuditRecord> out;
    for (size_t i = 0; reply_element(r, i); ++i) {
        if (auto a = decode_audit(reply_view(reply_element(r, i)))) out.push_back(std::move(*a));
    }
    return out;
}

Result<std::vector<OutboxMail>> decode_mails(const redisReply* r) {
    std::vector<OutboxMail> out;
    for (size_t i = 0; reply_element(r, i); ++i) {
        if (auto m = decode_mail(reply_element(r, i))) out.push_back(std::move(*m));
    }
    return out;
}

Result<ValidationState> decode_state(const redisReply* r) {
    const redisReply* versions = reply_element(r, 0);
    const redisReply* revoked = reply_element(r, 1);
    if (!versions || !revoked) return Answer::unavailable;
    ValidationState v;
    v.token_versions.reserve(versions->elements / 2);
    for (size_t i = 0; i + 1 < versions->elements; i += 2) {
        v.token_versions.emplace_back(
            reply_int_or(versions->element[i], 0),
            static_cast<uint32_t>(reply_int_or(versions->element[i + 1], 0)));
    }
    std::sort(v.token_versions.begin(), v.token_versions.end());
    for (size_t i = 0; i + 1 < revoked->elements; i += 2) {
        v.revoked_sessions.emplace_back(std::string(reply_view(revoked->element[i])),
                                        reply_int_or(revoked->element[i + 1], 0));
    }
    return v;
}

Result<std::string> decode_epoch(const redisReply* r) {
    return std::string(reply_view(r));  // empty: the key is gone
}

Result<RedisTextSync> decode_sync(const redisReply* r) {
    RedisTextSync t = decode_text_sync(r);
    if (!t.ok) return Answer::unavailable;
    return t;
}

}  // namespace authd::store
