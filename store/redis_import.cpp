// RedisStore::import_users: a batch of imported users as one import_users script call.
#include <algorithm>

#include "store/case_fold.hpp"
#include "store/redis_codec.hpp"
#include "store/redis_store.hpp"

namespace authd::store {
namespace {

Result<std::vector<ImportStatus>> decode_import(const redisReply* r) {
    std::vector<ImportStatus> out;
    if (r->type != REDIS_REPLY_ARRAY) return Answer::unavailable;
    out.reserve(r->elements);
    for (size_t i = 0; i < r->elements; ++i) {
        switch (reply_int_or(r->element[i], -1)) {
            case 0:
                out.push_back(ImportStatus::imported);
                break;
            case 1:
                out.push_back(ImportStatus::id_taken);
                break;
            case 2:
                out.push_back(ImportStatus::username_taken);
                break;
            case 3:
                out.push_back(ImportStatus::email_taken);
                break;
            default:
                return Answer::unavailable;
        }
    }
    return out;
}

}  // namespace

Task<Result<std::vector<ImportStatus>>> RedisStore::import_users(std::vector<User> users,
                                                                 bool dry_run) {
    // The script takes 1000 users at most (Lua's unpack limit): a larger batch is several
    // atomic steps (authd import-django sends 1000).
    constexpr size_t chunk = 1000;
    std::vector<ImportStatus> all;
    all.reserve(users.size());
    for (size_t from = 0; from < users.size() || from == 0; from += chunk) {
        const size_t to = std::min(users.size(), from + chunk);
        RedisArgs a = script_args(RedisScript::import_users, now_us());
        a.add(dry_run ? "1" : "0").add(static_cast<int64_t>(to - from));
        for (size_t i = from; i < to; ++i) {
            const User& u = users[i];
            a.add(u.id).add(fold_case(u.username)).add(fold_case(u.email)).add(search_text(u));
            a.add(role_digit(u.role)).add(bool_digit(u.is_active));
            a.add(static_cast<int64_t>(u.token_version));
            append_user_fields(a, u);
            a.add("created_at_us").add(u.created_at_us).add("updated_at_us").add(u.updated_at_us);
        }
        Result<std::vector<ImportStatus>> out = co_await script<std::vector<ImportStatus>>(
            RedisScript::import_users, std::move(a), decode_import);
        if (!out || out->size() != to - from) co_return Answer::unavailable;
        all.insert(all.end(), out->begin(), out->end());
        if (to == users.size()) break;
    }
    co_return all;
}

}  // namespace authd::store
