// RedisStore::create_user: a signup is one create_user script call — the names checked, the
// user, its indexes and its verification mail written atomically. The id comes from the
// instance's reserved block (RedisIdPool) first, since the mail's link carries it.
#include "store/case_fold.hpp"
#include "store/redis_codec.hpp"
#include "store/redis_replies.hpp"
#include "store/redis_store.hpp"

namespace authd::store {

Task<Result<int64_t>> RedisStore::reserved_id(int64_t now) {
    for (;;) {
        if (std::optional<int64_t> id = ids_.take()) co_return *id;
        if (!ids_.begin_refill()) {
            co_await ids_.wait_refill();
            continue;
        }
        RedisArgs r = script_args(RedisScript::reserve_user, now);
        r.add(RedisIdPool::block);
        Result<int64_t> last =
            co_await script<int64_t>(RedisScript::reserve_user, std::move(r), decode_int);
        const bool ok = last && *last >= RedisIdPool::block;
        const int64_t first = ok ? *last - RedisIdPool::block + 1 : 1;
        ids_.end_refill(first + 1, ok ? *last : 0);  // this signup takes the first
        if (!ok) co_return Answer::unavailable;
        co_return first;
    }
}

RedisArgs RedisStore::create_args(const User& user, int64_t now, const std::string& reserved,
                                  const std::optional<OutboxMail>& mail) const {
    RedisArgs a = script_args(RedisScript::create_user, now);
    a.add(reserved).add(fold_case(user.username)).add(fold_case(user.email));
    a.add(search_text(user));
    a.add(role_digit(user.role))
        .add(bool_digit(user.is_active))
        .add(static_cast<int64_t>(user.token_version));
    if (mail) {
        a.add("1").add(mail->to).add(mail->subject).add(mail->text_body).add(mail->html_body);
        a.add(mail->next_attempt_us);
    } else {
        a.add("0").add("").add("").add("").add("").add("0");
    }
    append_user_fields(a, user);
    return a;
}

Task<Result<CreateUserResult>> RedisStore::create_user(User user, MailComposer mail) {
    const int64_t now = now_us();
    // Twice at most: a reserved id an import took meanwhile costs one fresh block.
    for (int attempt = 0; attempt < 2; ++attempt) {
        // Every create takes its id from the block, with a mail or not, so that one
        // instance's ids keep rising.
        Result<int64_t> id = co_await reserved_id(now);
        if (!id) co_return Answer::unavailable;
        user.id = *id;
        user.created_at_us = user.updated_at_us = now;
        std::optional<OutboxMail> composed;
        if (mail) composed = mail(user);
        RedisArgs a = create_args(user, now, std::to_string(*id), composed);
        Result<CreateReply> c =
            co_await script<CreateReply>(RedisScript::create_user, std::move(a), decode_create);
        // No answer: the script may have run, so the id is not handed out again.
        if (!c) co_return Answer::unavailable;
        if (c->id_taken) {
            ids_.discard();
            continue;
        }
        CreateUserResult result;
        result.username_taken = c->username_taken;
        result.email_taken = c->email_taken;
        if (c->id <= 0) {
            ids_.give_back(*id);  // nothing was written under it
            co_return Result<CreateUserResult>(Answer::refused, result);
        }
        result.user = std::move(user);
        co_return result;
    }
    co_return Answer::unavailable;
}

}  // namespace authd::store
